import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf

from rec_model import auto_settings
from rec_model.agents.history_agent import HistoryAgent
from rec_model.closed_forms.neighbourhood import L2_EXTENSIONS, L2_GRID
from rec_model.auto_settings import Validation
from rec_model.closed_forms import cold_scale
from rec_model.interactions import Interactions
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.trainer import fit_context
from rec_model.users import USER_SIDE_FEATURES, Users
from tests.rec_model.synthetic import COLD_ITEMS, make_data, ragged, tiny_config


@pytest.fixture(autouse=True, params=["dense scores", "ragged scores"])
def state_path(request, monkeypatch):
    """Every test runs on both user states: a small catalogue's dense [b, items] scores, and
    the ragged reached items of a catalogue too large for whole [rows, items] blocks."""
    if request.param == "ragged scores":
        monkeypatch.setattr(auto_settings, "SCORE_CELLS", 1)
    return request.param


def _users(rows, weights=None):
    weights = weights or [[1.0] * len(r) for r in rows]
    return Users(tf.constant([-1] * len(rows), tf.int32), ragged(rows),
                 ragged(weights, tf.float32), tf.zeros([len(rows), USER_SIDE_FEATURES]))


def _agent(num_items=10, **overrides):
    return HistoryAgent(tiny_config(**overrides), 5, num_items, 4, name="history")


def _dense(agent):
    return sp.csr_matrix((agent.row_weights.numpy(), agent.row_ids.numpy(),
                          agent.row_splits.numpy()), shape=(agent.num_items,) * 2).toarray()


def test_scores_are_the_weighted_history_times_w():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(10, 10)) * (rng.random((10, 10)) < 0.4)
    agent = _agent()
    agent.set_rows(sp.csr_matrix(w.astype(np.float32)))
    rows, weights = [[1, 4, 4], [], [9]], [[1.0, 0.5, 2.0], [], [0.3]]
    x = np.zeros((3, 10))
    for b, (r, v) in enumerate(zip(rows, weights)):
        np.add.at(x[b], r, v)
    state = agent.user_state(_users(rows, weights), {})
    candidates = tf.constant(np.tile(np.arange(10), (3, 1)), tf.int32)
    np.testing.assert_allclose(agent.score(state, candidates).numpy(), x @ w, atol=1e-5)


def test_retrieve_ranks_the_reached_items_and_skips_excluded_ones():
    w = np.zeros((6, 6), np.float32)
    w[0, [1, 2, 3]] = [0.5, 2.0, -1.0]
    w[4, [1, 5]] = [3.0, 0.1]
    agent = _agent(num_items=6)
    agent.set_rows(sp.csr_matrix(w))
    state = agent.user_state(_users([[0, 4], [0], []]), {})
    found = agent.retrieve(state, tf.constant(3), ragged([[2], [], []])).numpy()
    assert found.tolist() == [[1, 5, 3], [2, 1, 3], [-1, -1, -1]]
    wide = agent.retrieve(state, tf.constant(8), ragged([[], [], []])).numpy()
    assert wide.tolist() == [[1, 2, 5, 3] + [-1] * 4, [2, 1, 3] + [-1] * 5, [-1] * 8]


def test_a_long_history_reads_only_the_strongest_entries_of_each_row():
    rng = np.random.default_rng(1)
    n = 200
    w = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.3)  # rows of about 60 entries
    agent = _agent(num_items=n, history_entries=64 * 16)  # 64 histories of 16 entries
    agent.set_rows(sp.csr_matrix(w.astype(np.float32)))
    short, long = [3, 7], list(range(100))  # 100 items: max(16, 1024 // 100) = 16 per row
    state = agent.user_state(_users([short, long]), {})
    scores = agent.score(state, tf.constant(np.tile(np.arange(n), (2, 1)), tf.int32)).numpy()
    np.testing.assert_allclose(scores[0], w[short].sum(axis=0), atol=1e-4)  # whole rows
    strongest = np.zeros_like(w)
    for i in long:
        top = np.argsort(-np.abs(w[i]))[:16]
        strongest[i, top] = w[i, top]
    np.testing.assert_allclose(scores[1], strongest[long].sum(axis=0), atol=1e-4)


def test_a_users_scores_do_not_depend_on_the_batch(state_path):
    """One user reads whole row blocks; a batch mixing a short history with long ones would
    read many times its entry caps that way and reads entry by entry: same scores."""
    rng = np.random.default_rng(2)
    n = 120
    w = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.3)
    agent = _agent(num_items=n, history_entries=256)
    agent.set_rows(sp.csr_matrix(w.astype(np.float32)))
    if state_path == "dense scores":  # rows padded to one width: a [items, width] table
        size = agent.row_ids.numpy().size
        assert agent.row_splits.numpy().tolist() == list(range(0, size + 1, size // n))
    # Alone, [5] and 20 items (16 entries a row) read blocks; 60 items read entry by entry.
    histories = [[5], list(range(20)), list(range(60)), list(range(30, 90))]
    every = tf.constant(np.tile(np.arange(n), (1, 1)), tf.int32)
    alone = [agent.score(agent.user_state(_users([h]), {}), every).numpy()[0]
             for h in histories]
    together = agent.score(agent.user_state(_users(histories), {}),
                           tf.tile(every, [4, 1])).numpy()
    np.testing.assert_allclose(together, np.stack(alone), atol=1e-5)
    np.testing.assert_allclose(alone[0], w[5], atol=1e-5)
    pair = [[5], list(range(12))]  # blocks of the whole row width, 21 entries for 12 items
    alone = [agent.score(agent.user_state(_users([h]), {}), every).numpy()[0] for h in pair]
    np.testing.assert_allclose(
        agent.score(agent.user_state(_users(pair), {}), tf.tile(every, [2, 1])).numpy(),
        np.stack(alone), atol=1e-5)


def test_restored_rows_of_another_layout_score_the_same():
    rng = np.random.default_rng(4)
    w = (rng.normal(size=(12, 12)) * (rng.random((12, 12)) < 0.4)).astype(np.float32)
    agent = _agent(num_items=12)
    agent.set_rows(sp.csr_matrix(w))
    users = _users([[0, 3, 7], [11]])
    every = tf.constant(np.tile(np.arange(12), (2, 1)), tf.int32)
    before = agent.score(agent.user_state(users, {}), every).numpy()
    plain = sp.csr_matrix(w)  # as stored without padding, e.g. by an earlier version
    agent.row_ids.assign(plain.indices)
    agent.row_weights.assign(plain.data)
    agent.row_splits.assign(plain.indptr.astype(np.int64))
    agent.restored()
    np.testing.assert_allclose(agent.score(agent.user_state(users, {}), every).numpy(), before,
                               atol=1e-6)
    np.testing.assert_allclose(_dense(agent), w, atol=1e-6)


def _co_occurring_data():
    rng = np.random.default_rng(3)
    dense = rng.random((40, 8)) < 0.5
    users, items = np.nonzero(dense)
    return Interactions(users, items, 40, 8), dense.astype(np.float64)


def test_fit_with_every_neighbour_is_dense_edlae():
    data, dense = _co_occurring_data()
    config = tiny_config(neighbours=7, history_l2=5.0, edlae_dropout=0.25, cold_neighbours=0)
    model = MultiAgentModel(config, 40, 8, 4)
    agent = model.agents[model.agent_names.index("history")]
    settings = agent.fit(fit_context(model, data, np.ones((8, 4), np.float32)))
    g = dense.T @ dense
    p = np.linalg.inv(g + np.diag(0.25 / 0.75 * np.diag(g) + 5.0))
    want = np.eye(8) - p / np.diag(p)[None, :]
    np.fill_diagonal(want, 0.0)
    np.testing.assert_allclose(_dense(agent), want, atol=1e-5)
    assert settings["neighbours"] == 7 and settings["l2"] == 5.0


def test_auto_l2_is_chosen_on_the_validation_slice_and_reused_on_refit():
    data, text = make_data()
    rest, held = data.split_per_user(0.25, 0)
    model = MultiAgentModel(tiny_config(history_l2=0.0), data.num_users, data.num_items, 8)
    agent = model.agents[model.agent_names.index("history")]
    validation = Validation.from_split(rest, held, 100, 0, 0.5)
    settings = agent.fit(fit_context(model, rest, text, validation))
    tried = {k: v for k, v in settings.items() if k.startswith("validation_ndcg@20_l2=")}
    assert len(L2_GRID) <= len(tried) <= len(L2_GRID) + L2_EXTENSIONS
    best = max(tried, key=tried.get)
    assert float(best.split("=")[1]) == pytest.approx(settings["l2"], rel=1e-3)
    again = agent.fit(fit_context(model, data, text))  # the final refit: no validation slice
    assert again["l2"] == settings["l2"]


@pytest.mark.parametrize("grown_wins", [True, False])
def test_a_grown_neighbourhood_is_weighed_on_the_slice_and_kept_on_refit(monkeypatch,
                                                                         grown_wins):
    data, text = make_data()
    monkeypatch.setattr(auto_settings, "MAX_NEIGHBOURS", 3)  # a budget below the catalogue
    monkeypatch.setattr(auto_settings, "beats_beyond_paired_error", lambda *_: grown_wins)
    rest, held = data.split_per_user(0.25, 0)
    model = MultiAgentModel(tiny_config(history_l2=0.0, neighbours=0), data.num_users,
                            data.num_items, 8)
    agent = model.agents[model.agent_names.index("history")]
    validation = Validation.from_split(rest, held, 100, 0, 0.5)
    settings = agent.fit(fit_context(model, rest, text, validation))
    tried = {int(k.split("=")[1]): v for k, v in settings.items()
             if k.startswith("validation_ndcg@20_neighbours=")}
    assert sorted(tried) == [3, 6]
    # The grown one ranks neighbours by co-occurrence count (an infinite prior).
    expected = (6, float("inf")) if grown_wins else (3, 0.0)
    assert (settings["neighbours"], settings["similarity_prior"]) == expected
    assert tried[settings["neighbours"]] == max(
        v for k, v in settings.items() if k.startswith("validation_ndcg@20_l2="))
    again = agent.fit(fit_context(model, data, text))  # the final refit: no validation slice
    keys = ("neighbours", "similarity_prior", "l2")
    assert [again[k] for k in keys] == [settings[k] for k in keys]
    # Served rows keep the budget's width (2 x 3 entries), whichever neighbourhood won.
    assert (np.count_nonzero(_dense(agent), axis=1) <= 6).all()


def test_requested_neighbours_are_not_grown():
    data, text = make_data()
    rest, held = data.split_per_user(0.25, 0)
    model = MultiAgentModel(tiny_config(history_l2=0.0, neighbours=3), data.num_users,
                            data.num_items, 8)
    agent = model.agents[model.agent_names.index("history")]
    settings = agent.fit(fit_context(model, rest, text,
                                     Validation.from_split(rest, held, 100, 0, 0.5)))
    assert settings["neighbours"] == 3 and settings["similarity_prior"] == 0.0
    assert [k for k in settings if k.startswith("validation_ndcg@20_neighbours=")] == [
        "validation_ndcg@20_neighbours=3"]


def test_auto_neighbours_follow_the_catalogue_size():
    data, text = make_data()
    model = MultiAgentModel(tiny_config(neighbours=0, history_l2=1.0), data.num_users,
                            data.num_items, 8)
    settings = model.agents[model.agent_names.index("history")].fit(
        fit_context(model, data, text))
    assert settings["neighbours"] == data.num_items - 1  # a tiny catalogue: every other item
    assert settings["gram_width"] == data.num_items - 1


def test_cold_items_are_reached_through_imputed_columns(fitted):
    model, data, _ = fitted
    agent = model.agents[model.agent_names.index("history")]
    w = _dense(agent)
    assert np.abs(w[:12, 3]).sum() > 0  # cold item 3 (community 0) is scored from warm items
    assert np.abs(w[:12, 3]).sum() > np.abs(w[12:, 3]).sum()
    assert data.item_counts()[3] == 0


def test_the_cold_scale_is_chosen_on_the_validation_slice_and_reused_on_refit():
    data, text = make_data()
    rest, held = data.split_per_user(0.25, 0)
    model = MultiAgentModel(tiny_config(history_l2=5.0), data.num_users, data.num_items, 8)
    agent = model.agents[model.agent_names.index("history")]
    settings = agent.fit(fit_context(model, rest, text, Validation.from_split(rest, held, 100,
                                                                              0, 0.5)))
    tried = {float(k.split("=")[1]): v for k, v in settings.items()
             if k.startswith("validation_ndcg@20_cold_scale=")}
    assert set(tried) == set(cold_scale.SCALES) and settings["cold_scale"] in tried
    again = agent.fit(fit_context(model, data, text))  # the final refit: no validation slice
    assert again["cold_scale"] == settings["cold_scale"]


@pytest.mark.parametrize("scale", [0.0, 1.0])
def test_imputed_cold_columns_follow_the_chosen_scale(scale, monkeypatch):
    data, text = make_data()
    monkeypatch.setattr(cold_scale, "choose_scale", lambda *args, **kwargs: (scale, {}))
    model = MultiAgentModel(tiny_config(history_l2=5.0), data.num_users, data.num_items, 8)
    agent = model.agents[model.agent_names.index("history")]
    rest, held = data.split_per_user(0.25, 0)
    agent.fit(fit_context(model, data, text, Validation.from_split(rest, held, 100, 0, 0.5)))
    assert agent.settings["cold_scale"] == scale
    reached = np.abs(_dense(agent)[:, list(COLD_ITEMS)]).sum(axis=0)
    assert np.all(reached > 0) if scale else np.all(reached == 0)
