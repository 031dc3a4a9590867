"""A small stand-in SavedModel that honours the serving contract (serving/README.md).

Tests and `bench/bench_serving.py` serve it instead of a trained model. It is plain
TensorFlow (no Keras) so it exports in about a second:

- users "u0" .. "u{n-1}" and items "i0" .. "i{m-1}" with random `dim`-d embeddings;
- agent "collaborative": dot(user vector, item embedding); the user vector is the user's
  embedding, or for unknown users the mean embedding of the known `history` items, or zero;
- agent "popularity": log(1 + item count), the same for every user;
- score = sum_a weight_a * agent_a; `exclude` items get -inf before top-k.
"""

import os
import pathlib

import numpy as np

from rec_model import features as F

AGENT_NAMES = ("collaborative", "popularity")


def _tf():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    return tf


def user_ids(n_users: int) -> list[str]:
    """Ids of the stand-in's users, `["u0", ...]`."""
    return [f"u{i}" for i in range(n_users)]


def item_ids(n_items: int) -> list[str]:
    """Ids of the stand-in's items, `["i0", ...]`."""
    return [f"i{i}" for i in range(n_items)]


def build_standin_module(n_users=20, n_items=50, dim=8, seed=0, agent_weights=(1.0, 0.1)):
    """Builds the stand-in `tf.Module` with `recommend`, `score` and `serving_default`.

    Args:
        n_users: number of known users.
        n_items: catalogue size.
        dim: embedding width.
        seed: numpy seed of the random embeddings (a different seed = a different "version").
        agent_weights: one weight per agent in `AGENT_NAMES`.

    Returns:
        (module, signatures) ready for `tf.saved_model.save`.
    """
    tf = _tf()
    from rec_model.agents.base import read_whole  # after _tf(): it imports TensorFlow

    rng = np.random.default_rng(seed)
    n_agents = len(AGENT_NAMES)

    class StandIn(tf.Module):
        def __init__(self):
            super().__init__()
            self.user_emb = tf.Variable(rng.normal(size=(n_users, dim)).astype("float32"))
            self.item_emb = tf.Variable(rng.normal(size=(n_items, dim)).astype("float32"))
            counts = rng.integers(0, 100, size=n_items).astype("float32")
            self.popularity = tf.Variable(np.log1p(counts))
            self.weights = tf.constant(np.asarray(agent_weights, "float32"))
            self.agent_names = tf.constant(list(AGENT_NAMES))
            self.user_table = self._table(user_ids(n_users))
            self.item_table = self._table(item_ids(n_items))
            self.item_vocab = tf.constant(item_ids(n_items))

        @staticmethod
        def _table(keys):
            init = tf.lookup.KeyValueTensorInitializer(
                tf.constant(keys), tf.range(len(keys), dtype=tf.int64))
            return tf.lookup.StaticHashTable(init, default_value=-1)

        def _user_vectors(self, user_id, history):
            """[batch] ids, [batch, n] history -> [batch, dim] user vectors."""
            uidx = self.user_table.lookup(user_id)
            known = tf.gather(self.user_emb, tf.maximum(uidx, 0))
            hidx = self.item_table.lookup(history)
            hmask = tf.cast(hidx >= 0, tf.float32)[..., None]
            rows = tf.gather(read_whole(self.item_emb), tf.maximum(hidx, 0))
            hsum = tf.reduce_sum(rows * hmask, axis=1)
            hmean = hsum / tf.maximum(tf.reduce_sum(hmask, axis=1), 1.0)
            return tf.where((uidx >= 0)[:, None], known, hmean)

        def _agent_scores(self, user_vec, item_idx):
            """[batch, dim], [batch, n] item indices (-1 unknown) -> [batch, n, agents]."""
            emb = tf.gather(read_whole(self.item_emb), tf.maximum(item_idx, 0))
            valid = tf.cast(item_idx >= 0, tf.float32)
            collab = tf.einsum("bd,bnd->bn", user_vec, emb) * valid
            pop = tf.gather(read_whole(self.popularity), tf.maximum(item_idx, 0)) * valid
            return tf.stack([collab, pop], axis=-1)

        def _recommend(self, user_id, k, history, exclude):
            checks = [tf.debugging.assert_greater(k, 0, message="k must be >= 1"),
                      tf.debugging.assert_less_equal(
                          k, n_items, message=f"k must be <= the catalogue size ({n_items})")]
            with tf.control_dependencies(checks):  # check k before top_k sees it
                k = tf.identity(k)
            user_vec = self._user_vectors(user_id, history)
            collab = tf.matmul(user_vec, read_whole(self.item_emb), transpose_b=True)  # [b, items]
            pop = tf.broadcast_to(read_whole(self.popularity)[None, :], tf.shape(collab))
            total = self.weights[0] * collab + self.weights[1] * pop
            # Scatter rather than one_hot: [b, m, items] floats grew past memory at 100k items.
            eidx = self.item_table.lookup(exclude)
            where = tf.where(eidx >= 0)
            pairs = tf.stack([where[:, 0], tf.gather_nd(eidx, where)], axis=1)
            hit = tf.scatter_nd(pairs, tf.ones(tf.shape(pairs)[:1]),
                                tf.shape(total, out_type=tf.int64))
            total = tf.where(hit > 0, tf.fill(tf.shape(total), -np.inf), total)
            scores, idx = tf.math.top_k(total, k=k)
            agents = tf.stack(
                [tf.gather(collab, idx, batch_dims=1), tf.gather(pop, idx, batch_dims=1)], -1)
            return {F.ITEM_IDS: tf.gather(self.item_vocab, idx), F.SCORES: scores,
                    F.AGENT_SCORES: agents, F.AGENT_NAMES: self.agent_names}

        @tf.function(input_signature=[
            tf.TensorSpec([None], tf.string, name=F.USER_ID),
            tf.TensorSpec([], tf.int32, name=F.K),
            tf.TensorSpec([None, None], tf.string, name=F.HISTORY),
            tf.TensorSpec([None, None], tf.string, name=F.EXCLUDE)])
        def recommend(self, user_id, k, history, exclude):
            return self._recommend(user_id, k, history, exclude)

        @tf.function(input_signature=[
            tf.TensorSpec([None], tf.string, name=F.USER_ID),
            tf.TensorSpec([None, None], tf.string, name=F.ITEM_IDS)])
        def score(self, user_id, item_ids):
            empty = tf.fill([tf.shape(user_id)[0], 0], "")
            agents = self._agent_scores(self._user_vectors(user_id, empty),
                                        self.item_table.lookup(item_ids))
            total = tf.reduce_sum(agents * self.weights, axis=-1)
            return {F.SCORES: total, F.AGENT_SCORES: agents}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=F.EXAMPLES)])
        def serving_default(self, examples):
            parsed = tf.io.parse_example(examples, {
                F.USER_ID: tf.io.FixedLenFeature([], tf.string, default_value=""),
                F.HISTORY: tf.io.VarLenFeature(tf.string)})
            history = tf.sparse.to_dense(parsed[F.HISTORY], default_value="")
            k = tf.constant(min(F.DEFAULT_SERVING_K, n_items), tf.int32)
            return self._recommend(parsed[F.USER_ID], k, history, tf.zeros_like(history))

    module = StandIn()
    signatures = {F.SIGNATURE_RECOMMEND: module.recommend, F.SIGNATURE_SCORE: module.score,
                  F.SIGNATURE_DEFAULT: module.serving_default}
    assert n_agents == 2
    return module, signatures


def export_standin(base_path, version=1, warmup=False, **kwargs) -> pathlib.Path:
    """Writes the stand-in as `<base_path>/<version>/` (TF Serving's layout).

    Saves into a sibling temporary folder first and renames it, as a trainer pushing to a
    watched folder should, so a server never sees a half-written version.

    Args:
        base_path: model base path.
        version: numeric version folder name.
        warmup: also write `assets.extra/tf_serving_warmup_requests` (one `recommend` call).
        **kwargs: forwarded to `build_standin_module`.

    Returns:
        The version folder.
    """
    tf = _tf()
    base = pathlib.Path(base_path)
    base.mkdir(parents=True, exist_ok=True)
    final = base / str(int(version))
    tmp = base / f".tmp-{int(version)}"
    module, signatures = build_standin_module(**kwargs)
    tf.saved_model.save(module, str(tmp), signatures=signatures)
    if warmup:
        write_warmup_file(tmp, kwargs.get("n_users", 20))
    os.replace(tmp, final)
    return final


def write_warmup_file(version_dir, n_users=20):
    """Writes one `recommend` PredictionLog as TF Serving's warmup record file."""
    tf = _tf()
    from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.signature_name = F.SIGNATURE_RECOMMEND
    request.inputs[F.USER_ID].CopyFrom(tf.make_tensor_proto(user_ids(min(n_users, 2))))
    request.inputs[F.K].CopyFrom(tf.make_tensor_proto(1, dtype=tf.int32))
    blank = [[""]] * min(n_users, 2)
    request.inputs[F.HISTORY].CopyFrom(tf.make_tensor_proto(blank))
    request.inputs[F.EXCLUDE].CopyFrom(tf.make_tensor_proto(blank))
    log = prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request))
    extra = pathlib.Path(version_dir) / "assets.extra"
    extra.mkdir(exist_ok=True)
    with tf.io.TFRecordWriter(str(extra / "tf_serving_warmup_requests")) as writer:
        writer.write(log.SerializeToString())
