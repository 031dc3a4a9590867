"""A Beam RunInference `ModelHandler` calling a SavedModel's `recommend` signature.

Beam's stock `TFModelHandlerTensor` loads models with `tf.keras.models.load_model` and calls
them with one stacked tensor; the serving contract needs a named signature with four inputs
(`user_id` [batch] string, `k` [] int32, `history` / `exclude` [batch, n] string), so this
handler loads the SavedModel with `tf.saved_model.load` once per worker process (RunInference
shares it across the worker's threads) and calls `recommend` on each batch.
"""

import os
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from rec_model import features as F

# An element is (user id, items to exclude).
UserRequest = Tuple[str, Sequence[str]]


class _LoadedRecommend:
    """Keeps the loaded SavedModel alive next to its `recommend` function."""

    def __init__(self, path: str):
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
        import tensorflow as tf

        self.tf = tf
        self.loaded = tf.saved_model.load(path)
        self.fn = self.loaded.signatures[F.SIGNATURE_RECOMMEND]


def pad(rows: Sequence[Sequence[str]]) -> np.ndarray:
    """Id lists -> [batch, max(1, longest)] object array of bytes padded with b""."""
    width = max([1] + [len(r) for r in rows])
    out = np.full((len(rows), width), b"", dtype=object)
    for i, row in enumerate(rows):
        out[i, : len(row)] = [v.encode("utf-8") for v in row]
    return out


def recommend_batch(model: _LoadedRecommend, user_ids: Sequence[str], k: int,
                    excludes: Sequence[Sequence[str]]) -> Dict[str, np.ndarray]:
    """One `recommend` call.

    Returns:
        item_ids [batch, k] bytes, scores [batch, k] float32, and when the model has them
        agent_scores [batch, k, n_agents] float32 and agent_names [n_agents] bytes.
    """
    tf = model.tf
    batch = len(user_ids)
    outputs = model.fn(
        **{F.USER_ID: tf.constant([u.encode("utf-8") for u in user_ids], tf.string),
           F.K: tf.constant(k, tf.int32),
           F.HISTORY: tf.constant(pad([[] for _ in range(batch)]), tf.string),
           F.EXCLUDE: tf.constant(pad(excludes), tf.string)})
    return {name: value.numpy() for name, value in outputs.items()}


def to_row(user_id: str, outputs: Dict[str, np.ndarray], i: int, include_agent_scores: bool) -> dict:
    """Row `i` of `recommend` outputs as the JSON record of one user.

    Slots with a non-finite score (excluded items that filled the top k because the user has
    seen nearly the whole catalogue) are dropped, so a row may hold fewer than k items.
    """
    keep = np.isfinite(outputs[F.SCORES][i])
    row = {
        F.USER_ID: user_id,
        F.ITEM_IDS: [v.decode("utf-8", "replace") for v in outputs[F.ITEM_IDS][i][keep]],
        F.SCORES: [round(float(s), 6) for s in outputs[F.SCORES][i][keep]],
    }
    if include_agent_scores and F.AGENT_SCORES in outputs and F.AGENT_NAMES in outputs:
        names = [n.decode("utf-8", "replace") for n in outputs[F.AGENT_NAMES]]
        per_item = outputs[F.AGENT_SCORES][i][keep]  # [kept, n_agents]
        row[F.AGENT_SCORES] = {name: [round(float(v), 6) for v in per_item[:, a]] for a, name in enumerate(names)}
    return row


class RecommendModelHandler(ModelHandler[UserRequest, PredictionResult, Any]):
    """RunInference handler: (user id, exclude list) -> PredictionResult(inference=JSON-able row).

    Args:
        saved_model_dir: a SavedModel with the `recommend` signature.
        k: recommendations per user.
        include_agent_scores: add per-agent scores to each row.
        max_batch_size: most users per call.
    """

    def __init__(self, saved_model_dir: str, k: int, include_agent_scores: bool = True, max_batch_size: int = 256):
        super().__init__(min_batch_size=1, max_batch_size=max_batch_size)
        self._path = saved_model_dir
        self._k = int(k)
        self._include_agent_scores = include_agent_scores

    def load_model(self) -> _LoadedRecommend:
        return _LoadedRecommend(self._path)

    def run_inference(self, batch: Sequence[UserRequest], model: _LoadedRecommend,
                      inference_args: Optional[Dict[str, Any]] = None) -> Iterable[PredictionResult]:
        users = [u for u, _ in batch]
        try:
            outputs = recommend_batch(model, users, self._k, [list(e) for _, e in batch])
        except Exception as e:  # pylint: disable=broad-except
            raise RuntimeError(
                f"`recommend` of {self._path} failed on a batch of {len(batch)} users with k={self._k}: {e}. "
                "Is k larger than the catalogue? Lower --k.") from e
        return [PredictionResult(example, to_row(example[0], outputs, i, self._include_agent_scores), self._path)
                for i, example in enumerate(batch)]

    def get_num_bytes(self, batch: Sequence[UserRequest]) -> int:
        return sum(len(u) + sum(len(x) for x in e) for u, e in batch)

    def get_metrics_namespace(self) -> str:
        return "RecsysBatchScoring"
