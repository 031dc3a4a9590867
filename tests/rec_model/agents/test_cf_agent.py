import numpy as np
import pytest
import tensorflow as tf

from rec_model import auto_settings
from tests.rec_model.synthetic import COLD_ITEMS, NUM_ITEMS, ragged


def _cf(model):
    return model.agents[model.agent_names.index("cf")]


def test_known_users_score_embedding_dot_item_vector_plus_bias(fitted):
    model, _, _ = fitted
    cf = _cf(model)
    users = model.users(tf.constant([0, 5], tf.int32))
    state = cf.user_state(users, {})
    candidates = tf.constant([[0, 1, 2], [20, 21, 3]], tf.int32)
    table = cf.serving_items.numpy()
    own = cf.user_embeddings.numpy()[[0, 5]]
    want = np.einsum("bd,bcd->bc", own, table[candidates.numpy(), :-1]) + table[
        candidates.numpy(), -1]
    np.testing.assert_allclose(cf.score(state, candidates).numpy(), want, rtol=1e-5, atol=1e-6)
    warm = [i for i in range(NUM_ITEMS) if i not in COLD_ITEMS]
    np.testing.assert_allclose(table[warm, :-1], cf.item_embeddings.numpy()[warm])
    np.testing.assert_allclose(table[warm, -1], cf.item_bias.numpy()[warm])


def test_unknown_users_are_folded_in_from_their_history(fitted):
    model, _, _ = fitted
    cf = _cf(model)
    users = model.users(tf.constant([-1, 4, -1], tf.int32),
                        request_items=ragged([[1, 2, 2], [], []]))
    vectors = cf.user_state(users, {}).numpy()
    emb = cf.item_embeddings.numpy()
    np.testing.assert_allclose(vectors[0, :-1], (emb[1] + 2 * emb[2]) / 3, rtol=1e-5)
    np.testing.assert_allclose(vectors[1, :-1], cf.user_embeddings.numpy()[4], rtol=1e-6)
    np.testing.assert_allclose(vectors[2, :-1], 0.0)  # no history: the item bias alone ranks
    np.testing.assert_array_equal(vectors[:, -1], 1.0)


def test_fold_in_uses_the_imputed_rows_of_cold_history_items(fitted):
    model, _, _ = fitted
    cf = _cf(model)
    users = model.users(tf.constant([-1], tf.int32), request_items=ragged([[COLD_ITEMS[0]]]))
    vector = cf.user_state(users, {}).numpy()[0]
    np.testing.assert_allclose(vector[:-1], cf.serving_items.numpy()[COLD_ITEMS[0], :-1],
                               rtol=1e-5)


def test_cold_rows_of_the_serving_table_mix_warm_rows(fitted):
    model, _, _ = fitted
    table = _cf(model).serving_items.numpy()
    raw = np.concatenate([_cf(model).item_embeddings.numpy(),
                          _cf(model).item_bias.numpy()[:, None]], 1)
    for cold in COLD_ITEMS:
        assert not np.allclose(table[cold], raw[cold])
        lo, hi = raw.min(axis=0), raw.max(axis=0)  # a convex mix stays within the warm rows
        assert np.all(table[cold] >= lo - 1e-6) and np.all(table[cold] <= hi + 1e-6)


def test_retrieve_is_the_brute_force_top_n_without_excluded_items(fitted):
    model, _, _ = fitted
    cf = _cf(model)
    users = model.users(tf.constant([0, 1], tf.int32))
    state = cf.user_state(users, {})
    scores = state.numpy() @ cf.serving_items.numpy().T
    exclude = [[int(np.argmax(scores[0]))], []]
    found = cf.retrieve(state, tf.constant(4), ragged(exclude)).numpy()
    for b in range(2):
        s = scores[b].copy()
        s[exclude[b]] = -np.inf
        assert found[b].tolist() == np.argsort(-s, kind="stable")[:4].tolist()
    everything = cf.retrieve(state, tf.constant(NUM_ITEMS + 5), ragged([[0, 1], []])).numpy()
    assert everything.shape == (2, NUM_ITEMS)
    assert sorted(everything[0].tolist()) == [-1, -1] + list(range(2, NUM_ITEMS))


def test_brute_force_of_a_large_catalogue_searches_a_few_users_at_a_time(fitted, monkeypatch):
    model, _, _ = fitted
    cf = _cf(model)
    users = model.users(tf.constant(list(range(12)), tf.int32))
    state = cf.user_state(users, {})
    exclude = ragged([[0, 1], [], [5], [], [], [2, 3, 4], [], [], [], [], [7], [23]])
    whole = cf.brute_force(state, tf.constant(6), exclude).numpy()
    # 5 users per block: the 12 users take three blocks, the last one partial.
    monkeypatch.setattr(auto_settings, "SCORE_CELLS", NUM_ITEMS * 5)
    assert auto_settings.users_per_call(NUM_ITEMS, cap=auto_settings.UNCHUNKED_USERS) == 5
    np.testing.assert_array_equal(cf.brute_force(state, tf.constant(6), exclude).numpy(), whole)
    traced = tf.function(lambda s, e: cf.brute_force(s, tf.constant(6), e))
    np.testing.assert_array_equal(traced(state, exclude).numpy(), whole)
    assert traced(state[:0], ragged([])).numpy().shape == (0, 6)


def test_user_gradients_touch_only_the_batch_rows(fitted):
    model, _, _ = fitted
    cf = _cf(model)
    users = model.users(tf.constant([2, 3], tf.int32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(cf.in_batch_logits(cf.user_state(users, {}),
                                                tf.constant([0, 13]))) + cf.regularization(
            users, tf.constant([0, 13]))
    grad = tape.gradient(loss, cf.user_embeddings)
    assert isinstance(grad, tf.IndexedSlices)
    assert set(grad.indices.numpy().tolist()) == {2, 3}
