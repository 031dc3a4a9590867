import numpy as np
import pytest
import tensorflow as tf

from rec_model.interactions import Interactions
from rec_model.users import (USER_SIDE_FEATURES, HistoryStore, Users, side_features,
                             weight_total, weighted_sum)


def _ragged(rows, dtype=tf.int32):
    return tf.ragged.constant(rows, dtype=dtype, ragged_rank=1)


@pytest.fixture
def store():
    data = Interactions(np.array([0, 0, 0, 2]), np.array([5, 6, 7, 1]), 3, 8,
                        np.array([3.0, 1.0, 2.0, 0.0]), np.array([1.0, 2.0, 3.0, 2.0]))
    s = HistoryStore(3)
    s.set_histories(*data.histories(0, rating_power=1.0))
    return s


def test_rows_in_time_order_last_n_and_empty_for_unknown_users(store):
    items, weights = store.rows(tf.constant([0, 1, 2, -1], tf.int32))
    assert items.to_list() == [[6, 7, 5], [], [1], []]
    np.testing.assert_allclose(weights.to_list()[0], [1.0, 1.5, 0.5])
    items, weights = store.rows(tf.constant([0, 2, -1], tf.int32), last=2)
    assert items.to_list() == [[7, 5], [1], []]
    assert len(weights.to_list()[0]) == 2


def test_store_refills_with_any_length_and_checks_splits(store):
    store.set_histories(np.arange(10), np.ones(10), np.array([0, 10, 10, 10]))
    assert store.rows(tf.constant([0], tf.int32))[0].to_list() == [list(range(10))]
    with pytest.raises(ValueError, match="row_splits has 3 entries, expected users \\+ 1 = 4"):
        store.set_histories(np.arange(2), np.ones(2), np.array([0, 1, 2]))


def test_side_features_count_only_weighted_items():
    items = _ragged([[0, 1], [2], []])
    weights = _ragged([[1.0, 0.0], [2.0], []], tf.float32)
    log_pop = tf.constant([np.log1p(9.0), 5.0, np.log1p(3.0)], tf.float32)
    side = side_features(tf.constant([4, -1, -1]), items, weights, log_pop).numpy()
    assert side.shape == (3, USER_SIDE_FEATURES)
    np.testing.assert_allclose(side[0], [np.log1p(1) / 5, np.log1p(9) / 5, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(side[1], [np.log1p(1) / 5, np.log1p(3) / 5, 1, 0], rtol=1e-6)
    np.testing.assert_allclose(side[2], [0, 0, 0, 0])


def test_weighted_sum_and_weight_total():
    table = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
    items = _ragged([[0, 3], [], [2, 2]])
    weights = _ragged([[1.0, 0.5], [], [2.0, 1.0]], tf.float32)
    users = Users(tf.constant([0, 1, 2]), items, weights, tf.zeros([3, USER_SIDE_FEATURES]))
    want = np.array([[0, 1, 2], [0, 0, 0], [0, 0, 0]], np.float32) + np.array(
        [0.5 * np.array([9, 10, 11]), [0, 0, 0], 3 * np.array([6, 7, 8])])
    np.testing.assert_allclose(weighted_sum(table, users).numpy(), want)
    np.testing.assert_allclose(weight_total(users).numpy().ravel(), [1.5, 1e-6, 3.0], rtol=1e-6)
