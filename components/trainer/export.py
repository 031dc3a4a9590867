"""The serving SavedModel: rec_model's RecommendModule plus the full serving contract.

Signatures (names in `rec_model/features.py`; see serving/README.md), all plain TF ops
(hash tables, scatter, matmul, `tf.math.top_k`, `tf.io.parse_example`) so stock TF Serving
loads them without custom ops:

- `recommend(user_id [b] str, k [] int32, history [b, n] str, exclude [b, m] str)` ->
  item_ids [b, k] str, scores [b, k] f32, agent_scores [b, k, n_agents] f32,
  agent_names [n_agents] str. Items the user interacted with in training (their stored
  history) and the request `history` are excluded, as are `exclude` items.
- `recommend_include_seen`: the same inputs and outputs, but seen items may be
  recommended (only `exclude` is removed) -- the `exclude_seen = false` variant. It is a
  second signature, not a flag input, because TF Serving requires every signature input in
  every request: `recommend` keeps exactly the four inputs every client sends.
- `score(user_id [b] str, item_ids [b, n] str)` -> scores [b, n], agent_scores [b, n, n_agents];
  unknown or padding ("") items score -1e9 with zero attribution.
- `serving_default(examples [b] serialized tf.Example with bytes `user_id`, optional bytes
  list `history`)` -> as `recommend` with k = min(serving_k, catalogue). With a
  TransformGraph the user index comes from the tf.Transform graph (its `user_index`, OOV ->
  unknown user); without one from the exported vocabulary.

Users: known users are scored from their stored history plus the request history;
unknown users from the request history; with neither, by item popularity (zero attribution).
`k` outside 1..catalogue fails with InvalidArgumentError before top-k runs.
"""

import os
import shutil
from typing import Optional, Sequence

import tensorflow as tf

from rec_model import features as F
from rec_model.recommend_module import RecommendModule

EXCLUDED_SCORE = -1e9
SIGNATURE_RECOMMEND_INCLUDE_SEEN = F.SIGNATURE_RECOMMEND_INCLUDE_SEEN

_RECOMMEND_SPEC = [tf.TensorSpec([None], tf.string, name=F.USER_ID), tf.TensorSpec([], tf.int32, name=F.K),
                   tf.TensorSpec([None, None], tf.string, name=F.HISTORY),
                   tf.TensorSpec([None, None], tf.string, name=F.EXCLUDE)]


class ServingModule(RecommendModule):
    """RecommendModule with the `recommend`, `recommend_include_seen`, `score` and
    `serving_default` signatures.

    Args:
        model: trained MultiAgentModel.
        user_ids / item_ids: vocabularies (position = model index; items = whole catalogue).
        user_histories: per user index, stored item indices (time order).
        transform_output: optional `tft.TFTransformOutput` whose `user_index` (vocabulary
            `user_id_vocab`, same order as `user_ids`) `serving_default` uses.
        serving_k: k of `serving_default`.
    """

    def __init__(self, model, user_ids: Sequence[str], item_ids: Sequence[str], user_histories,
                 transform_output=None, serving_k: int = F.DEFAULT_SERVING_K):
        super().__init__(model, user_ids, item_ids, user_histories)
        self.num_users = len(user_ids)
        self.serving_k = max(1, min(int(serving_k), self.num_items))
        self.tft_layer = transform_output.transform_features_layer() if transform_output is not None else None

    def _stored_dense(self, user_index, batch):
        """[batch] user indices (-1 unknown) -> [batch, items] multi-hot of stored histories."""
        known = user_index >= 0
        stored = tf.RaggedTensor.from_row_splits(self.history_values, self.history_splits)
        rows = tf.gather(stored, tf.where(known, user_index, tf.zeros_like(user_index)))
        keep = tf.gather(known, rows.value_rowids())
        return self._multi_hot(tf.boolean_mask(rows.value_rowids(), keep), tf.boolean_mask(rows.flat_values, keep), batch)

    def _checked_k(self, k):
        checks = [tf.debugging.assert_greater(k, 0, message="k must be >= 1"),
                  tf.debugging.assert_less_equal(k, tf.cast(self.num_items, tf.int32),
                                                 message=f"k must be <= the catalogue size ({self.num_items})")]
        with tf.control_dependencies(checks):
            return tf.identity(k)

    def _scores(self, user_index, dense):
        """-> (scores [b, items] with the popularity fallback, contributions [b, items, agents])."""
        out = self.model.score_items(user_index, dense)
        has_signal = tf.logical_or(user_index >= 0, tf.reduce_sum(dense, axis=1) > 0)
        popularity = tf.broadcast_to(self.model.item_log_popularity[None, :], tf.shape(out["ensemble"]))
        scores = tf.where(has_signal[:, None], out["ensemble"], popularity)
        return scores, out["contributions"] * tf.cast(has_signal, tf.float32)[:, None, None]

    def _recommend_indexed(self, user_index, k, history, exclude, exclude_seen: bool):
        k = self._checked_k(k)
        batch = tf.shape(user_index, out_type=tf.int64)[0]
        seen = tf.minimum(self._stored_dense(user_index, batch) + self._request_items(history, batch), 1.0)
        scores, contributions = self._scores(user_index, seen)
        blocked = self._request_items(exclude, batch)
        if exclude_seen:
            blocked = blocked + seen
        scores = tf.where(blocked > 0, EXCLUDED_SCORE, scores)
        top = tf.math.top_k(scores, k=k)
        return {F.ITEM_IDS: tf.gather(self.item_id_list, top.indices), F.SCORES: top.values,
                F.AGENT_SCORES: tf.gather(contributions, top.indices, batch_dims=1),
                F.AGENT_NAMES: self.agent_name_list}

    @tf.function(input_signature=_RECOMMEND_SPEC)
    def recommend(self, user_id, k, history, exclude):
        return self._recommend_indexed(self.user_lookup.lookup(user_id), k, history, exclude, exclude_seen=True)

    @tf.function(input_signature=_RECOMMEND_SPEC)
    def recommend_include_seen(self, user_id, k, history, exclude):
        return self._recommend_indexed(self.user_lookup.lookup(user_id), k, history, exclude, exclude_seen=False)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=F.USER_ID),
                                  tf.TensorSpec([None, None], tf.string, name=F.ITEM_IDS)])
    def score(self, user_id, item_ids):
        user_index = self.user_lookup.lookup(user_id)
        batch = tf.shape(user_index, out_type=tf.int64)[0]
        scores, contributions = self._scores(user_index, self._stored_dense(user_index, batch))
        index = self.item_lookup.lookup(item_ids)
        valid = index >= 0
        safe = tf.where(valid, index, tf.zeros_like(index))
        picked = tf.where(valid, tf.gather(scores, safe, batch_dims=1), EXCLUDED_SCORE)
        agents = tf.gather(contributions, safe, batch_dims=1) * tf.cast(valid, tf.float32)[:, :, None]
        return {F.SCORES: picked, F.AGENT_SCORES: agents}

    def _transformed_user_index(self, user_id):
        """[b] raw ids -> [b] model user index through the tf.Transform graph (-1 = OOV)."""
        raw = {F.USER_ID: user_id, F.ITEM_ID: tf.fill(tf.shape(user_id), ""),
               F.TIMESTAMP: tf.zeros(tf.shape(user_id), tf.int64), F.RATING: tf.zeros(tf.shape(user_id), tf.float32)}
        index = tf.cast(self.tft_layer(raw)[F.USER_INDEX], tf.int64)
        index = tf.reshape(index, [-1])
        return tf.where(index < self.num_users, index, -tf.ones_like(index))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=F.EXAMPLES)])
    def serving_default(self, examples):
        parsed = tf.io.parse_example(examples, {
            F.USER_ID: tf.io.FixedLenFeature([], tf.string, default_value=""),
            F.HISTORY: tf.io.VarLenFeature(tf.string)})
        history = tf.sparse.to_dense(parsed[F.HISTORY], default_value="")
        if self.tft_layer is not None:
            user_index = self._transformed_user_index(parsed[F.USER_ID])
        else:
            user_index = self.user_lookup.lookup(parsed[F.USER_ID])
        k = tf.constant(self.serving_k, tf.int32)
        return self._recommend_indexed(user_index, k, history, tf.zeros_like(history), exclude_seen=True)

    def signatures(self) -> dict:
        return {F.SIGNATURE_RECOMMEND: self.recommend, SIGNATURE_RECOMMEND_INCLUDE_SEEN: self.recommend_include_seen,
                F.SIGNATURE_SCORE: self.score, F.SIGNATURE_DEFAULT: self.serving_default}


def export_serving_model(model, user_ids, item_ids, user_histories, export_dir: str,
                         transform_graph_uri: Optional[str] = None, serving_k: int = F.DEFAULT_SERVING_K) -> str:
    """Writes the SavedModel to `export_dir` atomically (a sibling temp folder, then rename).

    Returns:
        export_dir.
    """
    transform_output = None
    if transform_graph_uri:
        import tensorflow_transform as tft

        transform_output = tft.TFTransformOutput(transform_graph_uri)
    module = ServingModule(model, user_ids, item_ids, user_histories, transform_output, serving_k)
    if "://" in export_dir:  # object stores have no atomic directory rename
        tf.saved_model.save(module, export_dir, signatures=module.signatures())
        return export_dir
    tmp = export_dir.rstrip("/") + ".tmp-export"
    shutil.rmtree(tmp, ignore_errors=True)
    tf.saved_model.save(module, tmp, signatures=module.signatures())
    shutil.rmtree(export_dir, ignore_errors=True)
    os.replace(tmp, export_dir)
    return export_dir
