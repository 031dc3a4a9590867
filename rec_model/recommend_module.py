"""The `recommend` serving function built from a trained MultiAgentModel.

Plain TF ops only (hash-table lookups, scatter, matmul, tf.math.top_k), so the
SavedModel runs in TF Serving without custom ops.
"""

from typing import Sequence

import numpy as np
import tensorflow as tf

from rec_model import features as F

_EXCLUDED = -1e9


class RecommendModule(tf.Module):
    """Wraps a model with string-id vocabularies and the users' stored histories.

    `recommend(user_id [batch] str, k [] int32, history [batch, n] str padded with "",
    exclude [batch, m] str padded with "")` returns
      item_ids [batch, k] str, scores [batch, k] float32,
      agent_scores [batch, k, n_agents] float32 (per-agent contributions, summing to
      the score; zeros for popularity fallbacks), agent_names [n_agents] str.
    A known user is scored from their stored history plus the request history; an
    unknown user from the request history alone; with neither, by item popularity.
    Stored-history, request-history and `exclude` items are never recommended.

    Args:
        model: a trained MultiAgentModel.
        user_ids / item_ids: vocabularies, position = model index.
        user_histories: per user index, the item indices they interacted with.
    """

    def __init__(self, model, user_ids: Sequence[str], item_ids: Sequence[str], user_histories: Sequence[Sequence[int]]):
        super().__init__()
        if len(user_ids) != model.num_users or len(item_ids) != model.num_items:
            raise ValueError(f"vocabulary sizes ({len(user_ids)} users, {len(item_ids)} items) differ from the model's "
                             f"({model.num_users}, {model.num_items}); pass the vocabularies the model was trained with")
        if len(user_histories) != model.num_users:
            raise ValueError("user_histories needs one (possibly empty) list per user index")
        self.model = model
        self.num_items = model.num_items
        self.user_lookup = self._table(user_ids)
        self.item_lookup = self._table(item_ids)
        self.item_id_list = tf.constant(list(item_ids), tf.string)
        self.agent_name_list = tf.constant(model.agent_names, tf.string)
        lengths = np.array([len(h) for h in user_histories], np.int64)
        flat = np.concatenate([np.asarray(h, np.int64) for h in user_histories]) if lengths.sum() else np.zeros(0, np.int64)
        self.history_values = tf.constant(flat, tf.int64)
        self.history_splits = tf.constant(np.concatenate([[0], np.cumsum(lengths)]), tf.int64)

    @staticmethod
    def _table(keys):
        init = tf.lookup.KeyValueTensorInitializer(tf.constant(list(keys), tf.string), tf.range(len(keys), dtype=tf.int64))
        return tf.lookup.StaticHashTable(init, default_value=-1)

    def _multi_hot(self, rows, items, batch):
        indices = tf.stack([rows, items], axis=1)
        dense = tf.scatter_nd(indices, tf.ones_like(rows, tf.float32), tf.stack([batch, tf.cast(self.num_items, tf.int64)]))
        return tf.minimum(dense, 1.0)

    def _request_items(self, ids, batch):
        index = self.item_lookup.lookup(ids)
        where = tf.where(index >= 0)
        return self._multi_hot(where[:, 0], tf.gather_nd(index, where), batch)

    @tf.function(input_signature=[
        tf.TensorSpec([None], tf.string, name=F.USER_ID),
        tf.TensorSpec([], tf.int32, name=F.K),
        tf.TensorSpec([None, None], tf.string, name=F.HISTORY),
        tf.TensorSpec([None, None], tf.string, name=F.EXCLUDE),
    ])
    def recommend(self, user_id, k, history, exclude):
        batch = tf.shape(user_id, out_type=tf.int64)[0]
        user_index = self.user_lookup.lookup(user_id)
        known = user_index >= 0
        stored = tf.RaggedTensor.from_row_splits(self.history_values, self.history_splits)
        rows = tf.gather(stored, tf.where(known, user_index, tf.zeros_like(user_index)))
        keep = tf.gather(known, rows.value_rowids())
        stored_dense = self._multi_hot(tf.boolean_mask(rows.value_rowids(), keep), tf.boolean_mask(rows.flat_values, keep), batch)
        dense = tf.minimum(stored_dense + self._request_items(history, batch), 1.0)
        out = self.model.score_items(user_index, dense)
        has_signal = tf.logical_or(known, tf.reduce_sum(dense, axis=1) > 0)
        popularity = tf.broadcast_to(self.model.item_log_popularity[None, :], tf.shape(out["ensemble"]))
        scores = tf.where(has_signal[:, None], out["ensemble"], popularity)
        blocked = tf.minimum(dense + self._request_items(exclude, batch), 1.0) > 0
        scores = tf.where(blocked, _EXCLUDED, scores)
        k = tf.minimum(k, tf.cast(self.num_items, tf.int32))
        top = tf.math.top_k(scores, k=k)
        contributions = tf.gather(out["contributions"], top.indices, batch_dims=1)
        contributions = contributions * tf.cast(has_signal, tf.float32)[:, None, None]
        return {
            F.ITEM_IDS: tf.gather(self.item_id_list, top.indices),
            F.SCORES: top.values,
            F.AGENT_SCORES: contributions,
            F.AGENT_NAMES: self.agent_name_list,
        }

    def save(self, export_dir: str):
        """Writes a SavedModel with the `recommend` signature (the serving layer adds the others)."""
        tf.saved_model.save(self, export_dir, signatures={F.SIGNATURE_RECOMMEND: self.recommend})
