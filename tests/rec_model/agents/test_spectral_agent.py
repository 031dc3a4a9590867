import numpy as np
import pytest
import tensorflow as tf

from rec_model.agents.spectral_agent import SpectralAgent
from rec_model.auto_settings import Validation
from rec_model.closed_forms.spectral import spectral_factors
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.trainer import fit_context
from tests.rec_model.synthetic import NUM_ITEMS, make_data, ragged, tiny_config


def _agent(model):
    return model.agents[model.agent_names.index("spectral")]


def test_scores_are_history_times_left_times_right(fitted):
    model, _, _ = fitted
    agent = _agent(model)
    left, right = agent.left.numpy(), agent.right.numpy()
    assert left.shape == (NUM_ITEMS, 4) and agent.trainable_weights == []
    users = model.users(tf.constant([0, -1], tf.int32), request_items=ragged([[], [1, 2]]))
    x = np.zeros((2, NUM_ITEMS))
    for b, (items, weights) in enumerate(zip(users.items.to_list(), users.weights.to_list())):
        np.add.at(x[b], items, weights)
    state = agent.user_state(users, {})
    candidates = tf.constant(np.tile(np.arange(NUM_ITEMS), (2, 1)), tf.int32)
    np.testing.assert_allclose(agent.score(state, candidates).numpy(), (x @ left) @ right.T,
                               atol=1e-5)
    assert agent.retrieve(state, tf.constant(3), ragged([[], []])) is None


def test_the_brute_force_scan_reads_the_fitted_table_without_gathering_it(fitted):
    agent = _agent(fitted[0])
    graph = tf.function(agent.item_table).get_concrete_function().graph
    assert not [op.type for op in graph.get_operations() if "Gather" in op.type]
    np.testing.assert_array_equal(agent.item_table().numpy(), agent.right.numpy())


def test_fit_uses_the_configured_rank_and_imputes_cold_rows(fitted):
    model, data, _ = fitted
    agent = _agent(model)
    assert agent.settings["rank"] == 4
    plain = spectral_factors(data.matrix(model.rating_power), 4, seed=model.config.seed)
    warm = data.item_counts() > 0
    np.testing.assert_allclose(agent.left.numpy()[warm], plain.left[warm], atol=1e-6)
    assert np.abs(agent.right.numpy()[3]).sum() > 0 and np.all(plain.right[3] == 0)


def test_a_history_points_at_its_community():
    data, text = make_data(cold=())
    model = MultiAgentModel(tiny_config(spectral_rank=2), data.num_users, data.num_items, 8)
    agent = _agent(model)
    agent.fit(fit_context(model, data, text))
    users = model.users(tf.constant([-1], tf.int32), request_items=ragged([[0, 1, 2]]))
    scores = agent.score(agent.user_state(users, {}), tf.range(NUM_ITEMS)[None, :]).numpy()[0]
    assert scores[3:12].mean() > scores[12:].mean()


def test_auto_rank_is_recorded_and_reused():
    data, text = make_data()
    model = MultiAgentModel(tiny_config(spectral_rank=0), data.num_users, data.num_items, 8)
    agent = _agent(model)
    rest, held = data.split_per_user(0.25, 0)
    settings = agent.fit(fit_context(model, rest, text, Validation.from_split(
        rest, held, 100, 0, 0.5)))
    assert 1 <= settings["rank"] <= NUM_ITEMS - 1
    assert agent.left.numpy().shape[1] == settings["rank"]
    assert agent.fit(fit_context(model, data, text))["rank"] == settings["rank"]
    assert isinstance(agent, SpectralAgent)


def test_auto_rank_on_a_small_catalogue_still_filters():
    data, text = make_data(cold=())
    model = MultiAgentModel(tiny_config(spectral_rank=0), data.num_users, data.num_items, 8)
    agent = _agent(model)
    rest, held = data.split_per_user(0.25, 0)
    agent.fit(fit_context(model, rest, text, Validation.from_split(rest, held, 100, 0, 0.5)))
    assert agent.settings["rank"] <= NUM_ITEMS // 4
    users = model.users(tf.constant([-1], tf.int32), request_items=ragged([[0, 1, 2]]))
    scores = agent.score(agent.user_state(users, {}), tf.range(NUM_ITEMS)[None, :]).numpy()[0]
    assert scores[3:12].mean() > scores[12:].mean() + 0.05


def test_the_rank_grid_halves_below_a_winning_smallest_rank(monkeypatch):
    from rec_model.agents import spectral_agent

    monkeypatch.setattr(spectral_agent, "RANK_GRID", (4, 5))
    monkeypatch.setattr(spectral_agent, "MIN_RANK", 1)

    class FewestAxes:  # a validation slice preferring the lowest-rank scores
        def ndcg(self, scores):
            return -float(np.linalg.matrix_rank(scores(np.eye(NUM_ITEMS)), tol=1e-6))

    data, text = make_data()
    model = MultiAgentModel(tiny_config(spectral_rank=0), data.num_users, data.num_items, 8)
    agent = _agent(model)
    settings = agent.fit(fit_context(model, data, text, FewestAxes()))
    tried = sorted(int(k.split("=")[1]) for k in settings if k.startswith("validation_ndcg"))
    assert tried == [1, 2, 4, 5] and settings["rank"] == 1
    assert agent.left.numpy().shape[1] == 1
