"""What every agent sees of a batch of users, and the stored histories it comes from."""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from rec_model import ragged_rows

USER_SIDE_FEATURES = 4  # log count, mean item popularity, has history, known user


class Users(NamedTuple):
    """A batch of users as the agents read it.

    Attributes:
        index: [b] int32 user index, -1 for users unknown to the model.
        items: [b, (h)] int32 ragged item indices, oldest first (at most `history_length`).
        weights: [b, (h)] float32 ragged interaction weights of those items.
        side: [b, USER_SIDE_FEATURES] float32 summary features.
    """

    index: tf.Tensor
    items: tf.RaggedTensor
    weights: tf.RaggedTensor
    side: tf.Tensor


def _dynamic_variable(value, dtype, name):
    # Never empty: MultiWorkerMirroredStrategy's broadcast of an empty float variable's
    # initial value crashes the chief; one unread element costs nothing.
    value = np.asarray(value, dtype.as_numpy_dtype)
    value = value if value.size else np.zeros(1, dtype.as_numpy_dtype)
    return tf.Variable(value, dtype=dtype, trainable=False, shape=tf.TensorShape([None]),
                       name=name)


class HistoryStore(tf.keras.layers.Layer):
    """Every user's interactions as ragged rows held in variables (never graph constants).

    Set with `set_histories(values, weights, row_splits)` (`Interactions.histories`); the
    variables take any length, so a store can be refilled with more data (the final model
    stores every interaction).
    """

    def __init__(self, num_users: int, **kwargs):
        super().__init__(**kwargs)
        self.num_users = num_users
        self.values = _dynamic_variable(np.zeros(0), tf.int32, "history_values")
        self.item_weights = _dynamic_variable(np.zeros(0), tf.float32, "history_weights")
        self.row_splits = _dynamic_variable(np.zeros(num_users + 1), tf.int64, "history_splits")

    def set_histories(self, values: np.ndarray, weights: np.ndarray, row_splits: np.ndarray):
        if len(row_splits) != self.num_users + 1:
            raise ValueError(f"row_splits has {len(row_splits)} entries, expected users + 1 = "
                             f"{self.num_users + 1}")
        self.values.assign(np.asarray(values, np.int32))
        self.item_weights.assign(np.asarray(weights, np.float32))
        self.row_splits.assign(np.asarray(row_splits, np.int64))

    def rows(self, user_index, last: int = 0):
        """Stored (items, weights) of each user, ragged [b, (h)]; empty rows for index -1.

        Args:
            user_index: [b] int32.
            last: keep each row's last `last` items (0 = all).
        """
        known = user_index >= 0
        safe = tf.where(known, user_index, 0)
        splits = self.row_splits
        start = tf.gather(splits, safe)
        end = tf.where(known, tf.gather(splits, safe + 1), start)
        if last:
            start = tf.maximum(start, end - last)
        positions = ragged_rows.ranges(start, end)
        items = positions.with_flat_values(tf.gather(self.values, positions.flat_values))
        weights = positions.with_flat_values(tf.gather(self.item_weights, positions.flat_values))
        return items, weights

    def get_config(self):
        return {**super().get_config(), "num_users": self.num_users}


def side_features(index, items: tf.RaggedTensor, weights: tf.RaggedTensor, item_log_popularity):
    """[b, USER_SIDE_FEATURES]: log history size, mean log popularity, has history, known
    (items with weight 0 do not count)."""
    present = tf.cast(weights.flat_values > 0, tf.float32)
    rows, batch = items.value_rowids(), items.nrows()
    count = tf.math.unsorted_segment_sum(present, rows, batch)
    popularity = tf.math.unsorted_segment_sum(
        tf.gather(item_log_popularity, items.flat_values) * present, rows, batch)
    has = tf.cast(count > 0, tf.float32)
    return tf.stack([tf.math.log1p(count) / 5.0, popularity / tf.maximum(count, 1.0) / 5.0, has,
                     tf.cast(index >= 0, tf.float32)], axis=1)


def weighted_sum(table, users: Users):
    """[b, d]: sum over each user's history of weight x table row (flat ragged ops)."""
    rows = tf.gather(table, users.items.flat_values) * users.weights.flat_values[:, None]
    return tf.math.unsorted_segment_sum(rows, users.items.value_rowids(), users.items.nrows())


def weight_total(users: Users):
    """[b, 1] sum of each user's history weights (at least 1e-6)."""
    total = tf.math.unsorted_segment_sum(users.weights.flat_values, users.items.value_rowids(),
                                         users.items.nrows())
    return tf.maximum(total, 1e-6)[:, None]
