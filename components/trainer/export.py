"""The serving SavedModel: a trained MultiAgentModel behind the full serving contract.

Signatures (names in `rec_model/features.py`; see serving/README.md), all standard TF ops
(hash tables from asset files, ragged gathers, Unique, segment sums, bincount, matmul, top-k,
`tf.io.parse_example`), so the official TF Serving binary runs them:

- `recommend(user_id [b] str, k [] int32, history [b, n] str, exclude [b, m] str)` ->
  item_ids [b, k] str, scores [b, k] f32, agent_scores [b, k, n_agents] f32,
  agent_names [n_agents] str. Every stored item of a known user, the request `history`
  and `exclude` are never recommended; when fewer than k candidates remain, the row ends
  with "" ids scored -1e9.
- `recommend_include_seen`: as `recommend`, only `exclude` removed.
- `score(user_id [b] str, item_ids [b, n] str)` -> scores [b, n], agent_scores [b, n, n_agents];
  unknown or padding ("") items score -1e9 with zero attribution.
- `serving_default(examples [b] serialized tf.Example with bytes `user_id`, optional bytes
  list `history`)` -> as `recommend` with k = min(serving_k, catalogue).

Vocabularies are asset files and every table (histories, factors, neighbour rows) is a
variable, so saved_model.pb stays small whatever the data size. `k` outside
1..catalogue fails with InvalidArgumentError before top-k runs.
"""

import os
import shutil
import tempfile
from typing import Optional, Sequence

import tensorflow as tf

from rec_model import features as F
from rec_model import ragged_rows
from rec_model.warm_start import build_weights

_RECOMMEND_SPEC = [tf.TensorSpec([None], tf.string, name=F.USER_ID),
                   tf.TensorSpec([], tf.int32, name=F.K),
                   tf.TensorSpec([None, None], tf.string, name=F.HISTORY),
                   tf.TensorSpec([None, None], tf.string, name=F.EXCLUDE)]
USER_VOCAB_FILE, ITEM_VOCAB_FILE = "user_ids.txt", "item_ids.txt"


def _write_vocab(path: str, ids: Sequence[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(f"{i}\n" for i in ids))


def _lookup(asset, key_index, key_dtype, value_index, value_dtype, default):
    init = tf.lookup.TextFileInitializer(asset, key_dtype, key_index, value_dtype, value_index)
    return tf.lookup.StaticHashTable(init, default_value=default)


class _Untracked:
    """Holds the Keras model outside the SavedModel's object graph: only its variables are
    saved (`model_variables`), not a Keras serialisation of every layer's call functions,
    which would multiply saved_model.pb's size and the export time."""

    def __init__(self, model):
        self.model = model


class ServingModule(tf.Module):
    """Args:
        model: trained MultiAgentModel (stored histories = what `recommend` excludes).
        vocab_dir: folder holding USER_VOCAB_FILE / ITEM_VOCAB_FILE (position = index).
        transform_output: optional `tft.TFTransformOutput`; `serving_default` then maps user
            ids through its graph (ids outside its vocabulary are unknown users).
        serving_k: k of `serving_default`.
    """

    def __init__(self, model, vocab_dir: str, transform_output=None,
                 serving_k: int = F.DEFAULT_SERVING_K):
        super().__init__()
        self._held = _Untracked(build_weights(model))  # every lazily built weight exists now
        self.model_variables = list(model.variables)
        self.num_items = model.num_items
        self.user_asset = tf.saved_model.Asset(os.path.join(vocab_dir, USER_VOCAB_FILE))
        self.item_asset = tf.saved_model.Asset(os.path.join(vocab_dir, ITEM_VOCAB_FILE))
        line, whole = tf.lookup.TextFileIndex.LINE_NUMBER, tf.lookup.TextFileIndex.WHOLE_LINE
        self.user_table = _lookup(self.user_asset, whole, tf.string, line, tf.int64, -1)
        self.item_table = _lookup(self.item_asset, whole, tf.string, line, tf.int64, -1)
        self.item_names = _lookup(self.item_asset, line, tf.int64, whole, tf.string, "")
        self.agent_name_list = tf.constant(model.agent_names, tf.string)
        self.serving_k = max(1, min(int(serving_k), self.num_items))
        self.tft_layer = None
        if transform_output is not None:
            self.tft_layer = transform_output.transform_features_layer()
            self.tft_users = transform_output.vocabulary_size_by_name(F.USER_VOCAB)

    def _items(self, ids):
        """[b, n] item id strings -> ragged [b, (m)] int32 indices of the known ones."""
        index = tf.cast(self.item_table.lookup(ids), tf.int32)
        return ragged_rows.from_mask(index, index >= 0)

    def _users(self, user_id):
        return tf.cast(self.user_table.lookup(user_id), tf.int32)

    def _checked_k(self, k):
        # Plain Assert ops: the assert_* helpers add a dozen nodes to every request.
        checks = [tf.debugging.Assert(k >= 1, ["k must be >= 1, got", k]),
                  tf.debugging.Assert(k <= self.num_items, [
                      f"k must be <= the catalogue size ({self.num_items}), got", k])]
        with tf.control_dependencies(checks):
            return tf.identity(k)

    def _recommend(self, user_index, k, history, exclude, exclude_seen: bool):
        k = self._checked_k(k)
        users, seen = self._held.model.request_users(user_index, self._items(history))
        ids, scores, contributions = self._held.model.recommend_indices(
            users, k, seen, self._items(exclude), exclude_seen)
        return {F.ITEM_IDS: self.item_names.lookup(tf.cast(ids, tf.int64)), F.SCORES: scores,
                F.AGENT_SCORES: contributions, F.AGENT_NAMES: self.agent_name_list}

    @tf.function(input_signature=_RECOMMEND_SPEC)
    def recommend(self, user_id, k, history, exclude):
        return self._recommend(self._users(user_id), k, history, exclude, exclude_seen=True)

    @tf.function(input_signature=_RECOMMEND_SPEC)
    def recommend_include_seen(self, user_id, k, history, exclude):
        return self._recommend(self._users(user_id), k, history, exclude, exclude_seen=False)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=F.USER_ID),
                                  tf.TensorSpec([None, None], tf.string, name=F.ITEM_IDS)])
    def score(self, user_id, item_ids):
        user_index = self._users(user_id)
        users, stored = self._held.model.request_users(user_index)
        ids = tf.cast(self.item_table.lookup(item_ids), tf.int32)
        scores, contributions = self._held.model.score_indices(users, ids, stored)
        return {F.SCORES: scores, F.AGENT_SCORES: contributions}

    def _transformed_users(self, user_id):
        """[b] raw ids -> model user index through the tf.Transform graph (OOV -> -1)."""
        raw = {F.USER_ID: user_id, F.ITEM_ID: tf.fill(tf.shape(user_id), ""),
               F.TIMESTAMP: tf.zeros(tf.shape(user_id), tf.int64),
               F.RATING: tf.zeros(tf.shape(user_id), tf.float32)}
        index = tf.reshape(tf.cast(self.tft_layer(raw)[F.USER_INDEX], tf.int32), [-1])
        return tf.where(index < self.tft_users, index, -1)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=F.EXAMPLES)])
    def serving_default(self, examples):
        parsed = tf.io.parse_example(examples, {
            F.USER_ID: tf.io.FixedLenFeature([], tf.string, default_value=""),
            F.HISTORY: tf.io.VarLenFeature(tf.string)})
        history = tf.sparse.to_dense(parsed[F.HISTORY], default_value="")
        users = (self._transformed_users(parsed[F.USER_ID]) if self.tft_layer is not None
                 else self._users(parsed[F.USER_ID]))
        k = tf.constant(self.serving_k, tf.int32)
        return self._recommend(users, k, history, history[:, :0], exclude_seen=True)

    def signatures(self) -> dict:
        return {F.SIGNATURE_RECOMMEND: self.recommend,
                F.SIGNATURE_RECOMMEND_INCLUDE_SEEN: self.recommend_include_seen,
                F.SIGNATURE_SCORE: self.score, F.SIGNATURE_DEFAULT: self.serving_default}


def export_serving_model(model, user_ids, item_ids, export_dir: str,
                         transform_graph_uri: Optional[str] = None,
                         serving_k: int = F.DEFAULT_SERVING_K) -> str:
    """Writes the SavedModel to `export_dir` atomically (a sibling temp folder, then rename).

    Args:
        model: trained MultiAgentModel.
        user_ids / item_ids: vocabularies (position = model index; no line breaks).
        export_dir: destination folder.
        transform_graph_uri: optional TransformGraph for `serving_default`.
        serving_k: k of `serving_default`.

    Returns:
        export_dir.
    """
    if len(user_ids) != model.num_users or len(item_ids) != model.num_items:
        raise ValueError(f"vocabularies ({len(user_ids)} users, {len(item_ids)} items) differ "
                         f"from the model's ({model.num_users}, {model.num_items})")
    transform_output = None
    if transform_graph_uri:
        import tensorflow_transform as tft

        transform_output = tft.TFTransformOutput(transform_graph_uri)
    vocab_dir = tempfile.mkdtemp(prefix="recsys-vocab-")
    try:
        _write_vocab(os.path.join(vocab_dir, USER_VOCAB_FILE), user_ids)
        _write_vocab(os.path.join(vocab_dir, ITEM_VOCAB_FILE), item_ids)
        module = ServingModule(model, vocab_dir, transform_output, serving_k)
        if "://" in export_dir:  # object stores have no atomic directory rename
            tf.saved_model.save(module, export_dir, signatures=module.signatures())
            return export_dir
        tmp = export_dir.rstrip("/") + ".tmp-export"
        shutil.rmtree(tmp, ignore_errors=True)
        tf.saved_model.save(module, tmp, signatures=module.signatures())
        shutil.rmtree(export_dir, ignore_errors=True)
        os.replace(tmp, export_dir)
        return export_dir
    finally:
        shutil.rmtree(vocab_dir, ignore_errors=True)
