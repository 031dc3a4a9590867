import numpy as np
import tensorflow as tf

from rec_model import auto_settings
from rec_model.multi_agent_model import MultiAgentModel
from tests.rec_model.synthetic import COLD_ITEMS, NUM_ITEMS, ragged, tiny_config


def _content(model):
    return model.agents[model.agent_names.index("content")]


def test_retrieve_proposes_cold_items_only_best_first(fitted):
    model, data, _ = fitted
    content = _content(model)
    assert sorted(content.cold_ids.numpy().tolist()) == list(COLD_ITEMS)
    users = model.users(tf.constant([0, 1, -1], tf.int32))
    state = content.user_state(users, {})
    found = content.retrieve(state, tf.constant(10), ragged([[], [], []])).numpy()
    assert found.shape == (3, len(COLD_ITEMS))
    assert all(sorted(row) == sorted(COLD_ITEMS) for row in found.tolist())
    scores = content.score(state, tf.constant(found)).numpy()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    assert np.all(data.item_counts()[found] == 0)
    assert content.retrieve(state, tf.constant(1), ragged([[], [], []])).shape == (3, 1)
    # The retrieval scans its own copy of the cold items' serving rows.
    np.testing.assert_array_equal(content.cold_vectors.numpy(),
                                  content.serving_items.numpy()[content.cold_ids.numpy()])


def test_retrieve_leaves_out_excluded_cold_items_whatever_else_is_excluded(fitted):
    model, _, _ = fitted
    content = _content(model)
    state = content.user_state(model.users(tf.constant([0, 1, 2], tf.int32)), {})
    cold = sorted(COLD_ITEMS)
    warm = [i for i in range(NUM_ITEMS) if i not in COLD_ITEMS]
    exclude = ragged([[cold[0], warm[0], cold[-1]], [], [warm[1], cold[1]]])
    found = content.retrieve(state, tf.constant(len(cold)), exclude).numpy().tolist()
    assert sorted(found[0]) == [-1, -1] + cold[1:-1]
    assert sorted(found[1]) == cold
    assert sorted(found[2]) == [-1] + [c for c in cold if c != cold[1]]


def test_many_cold_items_are_searched_a_few_users_at_a_time(fitted, monkeypatch):
    """The cold scan is the factor agents' brute force: blocks bound its [users, cold] scores
    whatever the batch (a catalogue can have hundreds of thousands of new items)."""
    model, _, _ = fitted
    content = _content(model)
    state = content.user_state(model.users(tf.constant(list(range(7)), tf.int32)), {})
    cold = sorted(COLD_ITEMS)
    exclude = ragged([[cold[0]], [], [cold[1]], [], [], cold, []])
    whole = content.retrieve(state, tf.constant(2), exclude).numpy()
    monkeypatch.setattr(auto_settings, "SCORE_CELLS", len(cold) * 2)  # 2 users per block
    assert auto_settings.users_per_call(len(cold), cap=auto_settings.UNCHUNKED_USERS) == 2
    traced = tf.function(lambda s, e: content.retrieve(s, tf.constant(2), e))
    np.testing.assert_array_equal(traced(state, exclude).numpy(), whole)
    assert whole[0].tolist() == [cold[1], -1] and whole[5].tolist() == [-1, -1]
    assert sorted(whole[1].tolist()) == cold
    graph = traced.get_concrete_function(state, exclude).graph
    assert any(op.type in ("While", "StatelessWhile") for op in graph.get_operations())


def test_no_retrieval_before_finalize_or_without_cold_items(fitted):
    _, data, text = fitted
    model = MultiAgentModel(tiny_config(), data.num_users, data.num_items, text.shape[1])
    content = _content(model)
    users = model.users(tf.constant([0], tf.int32))
    assert content.retrieve(content.user_state(users, {}), tf.constant(3), ragged([[]])) is None


def test_items_are_represented_by_their_text(fitted):
    model, _, text = fitted
    content = _content(model)
    np.testing.assert_array_equal(content.text.numpy(), text)
    same = text.copy()
    same[5] = same[17]
    content_items = content.adapter_out(content.adapter_hidden(tf.constant(same))).numpy()
    np.testing.assert_allclose(content_items[5], content_items[17], rtol=1e-6)
    table = content.serving_items.numpy()
    assert table.shape == (NUM_ITEMS, model.config.embedding_dim + 1)
    np.testing.assert_allclose(table, content.item_vectors(tf.range(NUM_ITEMS)).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_user_side_reads_the_history_text(fitted):
    model, _, _ = fitted
    content = _content(model)
    a = model.users(tf.constant([-1, -1], tf.int32), request_items=ragged([[0, 1], [20, 21]]))
    vectors = content.user_state(a, {}).numpy()
    assert not np.allclose(vectors[0], vectors[1])
    np.testing.assert_array_equal(vectors[:, -1], 1.0)
