import numpy as np
import pytest
import tensorflow as tf

from rec_model import features as F
from rec_model import auto_settings, gate_fit
from rec_model.agent_gate import AgentGate, candidate_statistics
from rec_model.users import USER_SIDE_FEATURES
from tests.rec_model.synthetic import held_out_validation


def _arrays(seed, n=40, c=12, agents=3):
    """Random candidate sets; agent 0 knows the labels a little, the others are noise."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, c)) < 0.15).astype(np.float32)
    labels[:, 0] = 1.0
    mask = rng.random((n, c)) < 0.9
    mask[:, 0] = True
    scores = rng.normal(size=(n, c, agents)).astype(np.float32)
    scores[:, :, 0] += 1.5 * labels
    scores[:, :, 1] += 0.7 * labels
    return {F.AGENT_CANDIDATE_SCORES: scores, F.CANDIDATE_MASK: mask,
            F.CANDIDATE_LABELS: labels * mask, F.USER_SIDE: rng.random((n, 4)).astype(np.float32),
            "targets": (labels * mask).sum(1).astype(np.int64)}


def test_ndcg_counts_missing_targets_as_misses():
    arrays = {F.CANDIDATE_MASK: np.array([[True, True, True, False]]),
              F.CANDIDATE_LABELS: np.array([[0.0, 1.0, 0.0, 1.0]]), "targets": np.array([2])}
    scores = np.array([[0.0, 3.0, 1.0, 9.0]])  # the masked candidate cannot rank
    assert gate_fit.ndcg(scores, arrays, 2) == pytest.approx(1.0 / (1 + 1 / np.log2(3)))
    assert gate_fit.ndcg(-scores, arrays, 1) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_static_blend_never_scores_below_the_best_single_agent(seed):
    arrays = _arrays(seed)
    z = gate_fit.standardised(arrays)
    coef, report = gate_fit.fit_static_blend([arrays], ["a", "b", "c"])
    singles = [report[f"agent:{n}"] for n in "abc"]
    assert report["static"] >= max(singles)
    assert report["static"] == pytest.approx(gate_fit.metric(z @ np.array(coef), arrays))
    assert len(coef) == 3 and min(coef) >= 0 and sum(coef) > 0
    assert singles == [pytest.approx(gate_fit.metric(z[:, :, i], arrays)) for i in range(3)]


def _tied_on_ndcg(cost: float, new_items: bool):
    """One slice where both agents rank each user's held-out item first and agent b also
    lifts the last 10 of 60 candidates (marked new when `new_items`) into the top 50; `cost`
    lowers b's score of the held-out item."""
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(40, 60, 2)).astype(np.float32)
    scores[:, 0, :] += 8.0
    scores[:, 0, 1] -= cost
    scores[:, 50:, 1] += 2.5
    labels = np.zeros((40, 60), np.float32)
    labels[:, 0] = 1.0
    arrays = {F.AGENT_CANDIDATE_SCORES: scores, F.CANDIDATE_MASK: np.ones((40, 60), bool),
              F.CANDIDATE_LABELS: labels, "targets": np.ones(40, np.int64)}
    if new_items:
        arrays[gate_fit.NEW_ITEMS] = np.zeros((40, 60), bool)
        arrays[gate_fit.NEW_ITEMS][:, 50:] = True
    return arrays


def test_blends_tied_on_ndcg_go_to_the_one_that_shows_new_items_most():
    coef, _ = gate_fit.fit_static_blend([_tied_on_ndcg(0.0, new_items=False)], ["a", "b"])
    assert coef == [1.0, 0.0]  # b adds nothing a held-out slice can see
    arrays = _tied_on_ndcg(0.0, new_items=True)
    coef, report = gate_fit.fit_static_blend([arrays], ["a", "b"])
    assert coef[1] > 0
    assert report["new_item_exposure"] > report["new_item_exposure_most_accurate"]
    assert report["static"] == pytest.approx(report["static_most_accurate"])
    z = gate_fit.standardised(arrays)
    assert report["new_item_exposure"] == pytest.approx(
        gate_fit.new_item_exposure([z @ np.array(coef)], [arrays]))


def test_new_items_are_not_shown_at_a_cost_beyond_the_ascents_margin():
    coef, report = gate_fit.fit_static_blend([_tied_on_ndcg(12.0, new_items=True)], ["a", "b"])
    assert report["static"] >= report["static_most_accurate"] / (
        1 + auto_settings.MIN_RELATIVE_GAIN)
    assert coef[1] < coef[0]


def test_standardised_scores_have_zero_mean_over_valid_candidates():
    arrays = _arrays(0)
    z = gate_fit.standardised(arrays)
    mask = arrays[F.CANDIDATE_MASK][:, :, None]
    mean = (z * mask).sum(1) / mask.sum(1)
    np.testing.assert_allclose(mean, 0.0, atol=1e-4)


def test_static_gate_gives_every_user_the_same_proportional_weights():
    gate = AgentGate(3)
    gate_fit.set_static_gate(gate, [1.0, 0.0, 3.0])  # works on a gate never called before
    side = tf.constant(np.random.default_rng(0).normal(size=(5, USER_SIDE_FEATURES)), tf.float32)
    weights = gate.weights_for(side).numpy()
    np.testing.assert_allclose(weights, np.tile([0.25, 0.0, 0.75], (5, 1)), atol=1e-6)
    scores = tf.random.normal([5, 4, 3])
    out, contributions, z = gate(scores, candidate_statistics(scores, tf.ones([5, 4], bool)), side)
    np.testing.assert_allclose(contributions.numpy(), z.numpy() * weights[:, None, :], atol=1e-5)
    np.testing.assert_allclose(out.numpy(), contributions.numpy().sum(-1), atol=1e-5)


@pytest.mark.parametrize("coefficients", [[0.0, 0.0, 0.0], [1.0, -1.0, 1.0], [1.0, 2.0]])
def test_static_gate_rejects_bad_coefficients(coefficients):
    with pytest.raises(ValueError, match="3 non-negative numbers"):
        gate_fit.set_static_gate(AgentGate(3), coefficients)


def test_candidate_arrays_label_held_out_items_among_eligible_candidates(fitted):
    model, validation = held_out_validation(*fitted[1:])
    arrays = gate_fit.candidate_arrays(model, validation)
    n = validation.users.size
    scores, mask, labels = (arrays[k] for k in (F.AGENT_CANDIDATE_SCORES, F.CANDIDATE_MASK,
                                                F.CANDIDATE_LABELS))
    assert scores.shape[0] == mask.shape[0] == labels.shape[0] == n
    assert scores.shape[2] == model.config.num_agents and arrays[F.USER_SIDE].shape == (n, 4)
    assert np.all(labels[~mask] == 0) and labels.sum() > 0
    np.testing.assert_array_equal(arrays["targets"], validation.target.getnnz(axis=1))
    assert np.all(labels.sum(1) <= arrays["targets"])


@pytest.mark.parametrize("silent", [("cf",), ("history",), ("cf", "content", "hybrid")])
def test_without_retrieval_equals_a_second_pass_of_the_muted_model(fitted, silent):
    model, validation = held_out_validation(*fitted[1:])
    arrays = gate_fit.candidate_arrays(model, validation)
    model.mute(silent, retrieval=True)
    fresh = gate_fit.candidate_arrays(model, validation)
    read = gate_fit.without_retrieval(arrays, [model.agent_names.index(n) for n in silent])
    assert read[F.CANDIDATE_MASK].sum() == fresh[F.CANDIDATE_MASK].sum()
    assert read[F.CANDIDATE_MASK].sum() < arrays[F.CANDIDATE_MASK].sum()
    np.testing.assert_array_equal(read[F.CANDIDATE_LABELS].sum(1),
                                  fresh[F.CANDIDATE_LABELS].sum(1))
    for user in range(validation.users.size):
        got, want = (a[F.AGENT_CANDIDATE_SCORES][user][a[F.CANDIDATE_MASK][user]]
                     for a in (read, fresh))
        np.testing.assert_allclose(np.sort(got, axis=0), np.sort(want, axis=0), atol=1e-5)
    z_read, z_fresh = gate_fit.standardised(read), gate_fit.standardised(fresh)
    for agent in set(range(len(model.agent_names))) - {model.agent_names.index(n)
                                                        for n in silent}:
        assert gate_fit.metric(z_read[:, :, agent], read) == pytest.approx(
            gate_fit.metric(z_fresh[:, :, agent], fresh), abs=1e-6)


def test_partial_sort_ndcg_matches_a_full_sort():
    arrays = _arrays(3, n=60, c=30)
    scores = np.random.default_rng(1).normal(size=(60, 30))
    for k in (1, 5, 10, 30, 50):
        s = np.where(arrays[F.CANDIDATE_MASK], scores, -np.inf)
        top = np.argsort(-s, axis=1, kind="stable")[:, :min(k, 30)]
        hits = np.take_along_axis(arrays[F.CANDIDATE_LABELS], top, 1)
        discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
        ideal = np.cumsum(discounts)[np.clip(arrays["targets"], 1, top.shape[1]) - 1]
        expected = ((hits * discounts).sum(1) / ideal).mean()
        assert gate_fit.ndcg(scores, arrays, k) == pytest.approx(expected)
    ks = (1, 5, 10, 30, 50)  # one partial sort at the largest k serves every k
    assert gate_fit.ndcg_at(scores, arrays, ks) == pytest.approx(
        [gate_fit.ndcg(scores, arrays, k) for k in ks])


