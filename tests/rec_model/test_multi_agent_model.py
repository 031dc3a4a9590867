import numpy as np
import pytest
import tensorflow as tf

from rec_model import features as F
from rec_model.candidates import PAD
from rec_model.gate_fit import candidate_arrays, set_static_gate
from rec_model.multi_agent_model import EXCLUDED_SCORE, MultiAgentModel
from tests.rec_model.synthetic import (NUM_ITEMS, fitted_model, held_out_validation, make_data,
                                       ragged, stored_items, tiny_config)


def _recommend(model, index, k, exclude_extra=None, request=None):
    index = tf.constant(index, tf.int32)
    users = model.users(index, request_items=None if request is None else ragged(request))
    seen, _ = model.histories.rows(index)
    if request is not None:
        seen = tf.concat([seen, ragged(request)], axis=1)
    exclude = seen if exclude_extra is None else tf.concat([seen, ragged(exclude_extra)], 1)
    ids, scores, contributions = model.recommend_indices(users, tf.constant(k), seen, exclude)
    return ids.numpy(), scores.numpy(), contributions.numpy()


def test_recommend_excludes_seen_and_extra_items_and_sorts(trained):
    model = trained[0].model
    ids, scores, _ = _recommend(model, [0, 1, 2], 5, exclude_extra=[[0, 13], [], [12, 14]])
    assert ids.shape == (3, 5) and ids.dtype == np.int32
    for row, user, extra in zip(ids, [0, 1, 2], [[0, 13], [], [12, 14]]):
        assert not set(row.tolist()) & (set(stored_items(model, user)) | set(extra))
        assert len(set(row.tolist())) == 5 and np.all(row >= 0)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_fewer_candidates_than_k_pad_with_pad_and_excluded_score(trained):
    model = trained[0].model
    ids, scores, _ = _recommend(model, [0], NUM_ITEMS)
    real = NUM_ITEMS - len(set(stored_items(model, 0)))
    assert np.all(ids[0, :real] >= 0) and np.all(ids[0, real:] == PAD)
    assert np.all(scores[0, real:] == EXCLUDED_SCORE) and np.all(scores[0, :real] > -1e8)


def test_contributions_sum_to_scores_for_users_with_a_signal(trained):
    model = trained[0].model
    ids, scores, contributions = _recommend(model, [0, 3, -1], 6, request=[[], [], [0, 1]])
    assert contributions.shape == (3, 6, model.config.num_agents)
    np.testing.assert_allclose(contributions.sum(-1), scores, rtol=1e-4, atol=1e-4)


def test_padding_entries_have_no_attribution(trained):
    model = trained[0].model
    ids, _, contributions = _recommend(model, [0], NUM_ITEMS)
    assert np.all(contributions[0][ids[0] == PAD] == 0)


def test_users_without_history_get_popularity_and_no_attribution(trained):
    model, data = trained[0].model, trained[1]
    ids, scores, contributions = _recommend(model, [-1], 5)
    counts = data.item_counts()
    np.testing.assert_allclose(scores[0], np.sort(np.log1p(counts))[::-1][:5], rtol=1e-6)
    assert ids[0, 0] == int(np.argmax(counts))
    assert np.all(contributions == 0)


def test_score_indices_equal_recommend_scores_and_mask_pad(trained):
    model = trained[0].model
    index = tf.constant([0, 7], tf.int32)
    ids, scores, contributions = _recommend(model, [0, 7], 5)
    users, (seen, _) = model.users(index), model.histories.rows(index)
    asked = np.concatenate([ids, np.full((2, 2), PAD, np.int32)], axis=1)
    got, attribution = model.score_indices(users, tf.constant(asked), seen)
    np.testing.assert_allclose(got.numpy()[:, :5], scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(attribution.numpy()[:, :5], contributions, rtol=1e-5, atol=1e-6)
    assert np.all(got.numpy()[:, 5:] == EXCLUDED_SCORE)
    assert np.all(attribution.numpy()[:, 5:] == 0)


def test_excluding_the_top_item_leaves_the_rest_unchanged(trained):
    model = trained[0].model
    for user in range(6):
        ids, scores, _ = _recommend(model, [user], 4)
        again, again_scores, _ = _recommend(model, [user], 3, exclude_extra=[[int(ids[0, 0])]])
        assert again[0].tolist() == ids[0, 1:].tolist()
        np.testing.assert_allclose(again_scores[0], scores[0, 1:], rtol=1e-5, atol=1e-5)


def test_candidates_union_popular_items_and_retrieval(fitted):
    model = fitted[0]
    index = tf.constant([0, -1], tf.int32)
    users = model.users(index)
    seen, _ = model.histories.rows(index)
    ids = model.candidates(users, model.states(users), tf.constant(8), seen).numpy()
    assert ids.shape[1] >= 8
    popular = set(model.popular.numpy().tolist())
    assert len(popular) == model.config.popular_candidates
    for row in ids:
        real = row[row >= 0].tolist()
        assert len(real) == len(set(real)) and popular <= set(real)


def test_users_drop_positives_and_append_request_items(fitted):
    model = fitted[0]
    first = stored_items(model, 0)[0]
    users = model.users(tf.constant([0], tf.int32), drop_items=tf.constant([first]))
    items, weights = users.items.to_list()[0], users.weights.to_list()[0]
    assert weights[items.index(first)] == 0 and min(weights[:items.index(first)] + [1]) > 0
    short = MultiAgentModel(tiny_config(history_length=3), 30, NUM_ITEMS, 8)
    short.histories.set_histories(*make_data()[0].histories())
    users = short.users(tf.constant([0], tf.int32), request_items=ragged([[20, 21]]))
    assert users.items.to_list()[0] == stored_items(short, 0)[-1:] + [20, 21]
    assert users.weights.to_list()[0][-2:] == [1.0, 1.0]
    assert users.side.shape == (1, 4)


@pytest.mark.parametrize("request_items", [None, [[20, 21], [], [3]]])
def test_request_users_are_users_and_seen_the_stored_history_and_request(fitted,
                                                                          request_items):
    short = MultiAgentModel(tiny_config(history_length=3), 30, NUM_ITEMS, 8)
    short.histories.set_histories(*make_data()[0].histories())
    index = tf.constant([0, -1, 5], tf.int32)
    request = None if request_items is None else ragged(request_items)
    users, seen = short.request_users(index, request)
    want = short.users(index, request_items=request)
    assert users.items.to_list() == want.items.to_list()
    assert users.weights.to_list() == want.weights.to_list()
    np.testing.assert_allclose(users.side, want.side)
    extra = request_items or [[], [], []]
    assert seen.to_list() == [stored_items(short, 0) + extra[0], extra[1],
                              stored_items(short, 5) + extra[2]]
    assert len(stored_items(short, 0)) > 3  # the history cut applies to users, not to seen


def test_set_stage_metrics_list_only_that_stages_agents():
    model = MultiAgentModel(tiny_config(), 30, NUM_ITEMS, 8)
    model.set_stage("pairs")
    names = [m.name for m in model.metrics]
    assert names[0] == "loss_pairs_ensemble"
    assert {n[5:] for n in names if n.startswith("loss_") and n != names[0]} == {
        "cf", "content", "spectral", "hybrid"}  # the factor agents; history has no pairs loss
    model.set_stage("gate")
    gate_names = {m.name for m in model.metrics}
    assert {f"alpha_{a}" for a in model.agent_names} | {"loss_gate_ensemble"} <= gate_names
    model.set_stage("pairs")
    assert [m.name for m in model.metrics] == names  # not duplicated by a second call
    with pytest.raises(ValueError, match="stage='agents'"):
        model.set_stage("agents")


def test_compute_loss_is_finite_on_both_stages(fitted):
    _, data, text = fitted
    # stored histories without the held-out items
    model, validation = held_out_validation(data, text, 0.25)
    counts = data.item_counts()
    batch = {F.USER_INDEX: tf.constant(data.user_index[:16], tf.int32),
             F.ITEM_INDEX: tf.constant(data.item_index[:16], tf.int32),
             F.LOG_SAMPLING_PROBABILITY: tf.constant(
                 np.log(counts[data.item_index[:16]] / data.size), tf.float32)}
    model.set_stage("pairs")
    assert np.isfinite(float(model.compute_loss(batch, training=True)))
    arrays = candidate_arrays(model, validation)
    model.set_stage("gate")
    try:
        loss = model.compute_loss({k: tf.constant(v) for k, v in arrays.items()}, training=True)
    finally:
        model.set_stage("pairs")
    assert np.isfinite(float(loss))
    assert arrays[F.CANDIDATE_LABELS].sum() > 0


def test_a_new_model_computes_its_pairs_loss(fitted):
    _, data, text = fitted
    model = fitted_model(data=data, text=text)
    batch = {F.USER_INDEX: tf.constant([0, 1], tf.int32), F.ITEM_INDEX: tf.constant([0, 13]),
             F.LOG_SAMPLING_PROBABILITY: tf.constant([-3.0, -3.0])}
    assert np.isfinite(float(model.compute_loss(batch, training=True)))


def test_get_config_describes_the_model(fitted):
    model = fitted[0]
    config = model.get_config()
    assert config["num_users"] == 30 and config["num_items"] == NUM_ITEMS
    assert config["config"]["agents"] == model.agent_names


def _static_model(coefficients, retrieval=False):
    model = fitted_model()
    set_static_gate(model.gate, [coefficients.get(name, 0.0) for name in model.agent_names])
    silent = [model.agent_names[i] for i in model.gate.silent_agents()]
    model.mute(silent, retrieval=retrieval)
    return model, silent


def test_muting_silent_agents_scoring_changes_no_ranking():
    model, muted = _static_model({"history": 1.0, "cf": 0.5})
    assert set(muted) == set(model.agent_names) - {"history", "cf"}
    ids, scores, contributions = _recommend(model, [0, 1, -1], 4, request=[[], [], [0, 1]])
    model.mute(())
    before, before_scores, _ = _recommend(model, [0, 1, -1], 4, request=[[], [], [0, 1]])
    silent = [i for i, name in enumerate(model.agent_names) if name in muted]
    assert np.all(contributions[:, :, silent] == 0) and np.all(ids >= 0)
    np.testing.assert_array_equal(ids, before)
    np.testing.assert_allclose(scores, before_scores, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(contributions.sum(-1), scores, rtol=1e-4, atol=1e-4)


def _spectral_alone(how):
    if how == "muted":
        model, muted = _static_model({"spectral": 1.0}, retrieval=True)
        assert "spectral" not in muted
        return model
    return fitted_model(tiny_config(agents=("spectral",), history_l2=5.0))


@pytest.mark.parametrize("how", ["muted", "configured"])
def test_with_no_retrieving_agent_the_first_factor_agent_scans_the_catalogue(how):
    model = _spectral_alone(how)
    spectral = model.agents[model.agent_names.index("spectral")]
    assert not spectral.retrieves and model.scanner() is spectral
    for user in range(4):
        ids, _, _ = _recommend(model, [user], 5)
        users = model.users(tf.constant([user], tf.int32))
        full = tf.matmul(spectral.user_state(users, {}), spectral.right, transpose_b=True)
        full = full.numpy()[0]
        full[stored_items(model, user)] = -np.inf
        np.testing.assert_array_equal(ids[0], np.argsort(-full, kind="stable")[:5])


def test_no_scanner_while_an_agent_left_retrieving_proposes_candidates():
    model = fitted_model()
    assert model.scanner() is None
    model.mute(["cf"], retrieval=True)  # history still retrieves
    assert model.scanner() is None


def test_mute_rejects_unknown_agents():
    with pytest.raises(ValueError, match="cannot mute \\['nope'\\]"):
        fitted_model().mute(["nope"])
