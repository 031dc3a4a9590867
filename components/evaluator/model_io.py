"""Talks to a SavedModel only through its serving signatures (serving/README.md contract)."""

import os
from typing import Dict, Optional, Sequence

import numpy as np

from components.model_layout import EVAL_SUBDIR, SERVING_SUBDIR
from rec_model import features as F


def _tf():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    return tf


def eval_model_dir(model_artifact_uri: str) -> str:
    """The SavedModel to judge on the eval split: `<uri>/Format-Eval/` (fitted on the train
    split only) when the trainer wrote one, else the serving SavedModel."""
    tf = _tf()
    path = os.path.join(model_artifact_uri, EVAL_SUBDIR)
    if tf.io.gfile.exists(os.path.join(path, "saved_model.pb")):
        return path
    return serving_model_dir(model_artifact_uri)


def serving_model_dir(model_artifact_uri: str) -> str:
    """The SavedModel folder of a `Model` artifact.

    Accepts TFX's layout (`<uri>/Format-Serving/saved_model.pb`) or a SavedModel directly at
    `<uri>`.

    Raises:
        FileNotFoundError: neither holds a saved_model.pb / saved_model.pbtxt.
    """
    tf = _tf()
    for path in (os.path.join(model_artifact_uri, SERVING_SUBDIR), model_artifact_uri):
        if any(tf.io.gfile.exists(os.path.join(path, name))
               for name in ("saved_model.pb", "saved_model.pbtxt")):
            return path
    raise FileNotFoundError(
        f"no SavedModel at {model_artifact_uri}/{SERVING_SUBDIR}/ nor at {model_artifact_uri}/; "
        f"the trainer must export the serving model to <model uri>/{SERVING_SUBDIR}/ "
        "(tf.saved_model.save)")


def pad_ids(rows, width: Optional[int] = None) -> np.ndarray:
    """Per-user id lists -> [batch, max(1, longest)] bytes array padded with "" (the contract's
    padding)."""
    rows = [list(r) for r in rows]
    width = width or max([1] + [len(r) for r in rows])
    out = np.full((len(rows), width), b"", dtype=object)
    for i, row in enumerate(rows):
        out[i, : len(row)] = [str(v).encode("utf-8") for v in row[:width]]
    return out


def shared_items(item_ids: Sequence[str]):
    """[1, n] string tensor of `item_ids`, for `ServingSignatures.score` calls that send every
    user the same items (the whole catalogue): encoded and converted once."""
    return _tf().constant(pad_ids([item_ids]))


class ServingSignatures:
    """A SavedModel loaded in process, called through `recommend` (and `score` when present).

    Args:
        path: SavedModel folder (see `serving_model_dir`).

    Raises:
        ValueError: the model has no `recommend` signature.
    """

    def __init__(self, path: str):
        tf = _tf()
        self.path = path
        self._loaded = tf.saved_model.load(path)
        signatures = self._loaded.signatures
        if F.SIGNATURE_RECOMMEND not in signatures:
            raise ValueError(f"{path}: SavedModel has signatures {sorted(signatures)}, no "
                             f"{F.SIGNATURE_RECOMMEND!r}; export it as serving/README.md "
                             "describes")
        self._recommend = signatures[F.SIGNATURE_RECOMMEND]
        self._score = signatures.get(F.SIGNATURE_SCORE)

    @property
    def has_score(self) -> bool:
        return self._score is not None

    def recommend(self, user_ids, k: int, history, exclude) -> Dict[str, np.ndarray]:
        """Calls `recommend`.

        Args:
            user_ids: [batch] ids.
            k: items per user.
            history, exclude: [batch] id lists (padded here).

        Returns:
            item_ids [batch, k] str, scores [batch, k] float32, agent_scores [batch, k, n_agents]
            float32, agent_names [n_agents] str.
        """
        tf = _tf()
        out = self._recommend(
            user_id=tf.constant(
                np.asarray([str(u).encode("utf-8") for u in user_ids], dtype=object)),
            k=tf.constant(int(k), tf.int32),
            history=tf.constant(pad_ids(history)), exclude=tf.constant(pad_ids(exclude)))
        missing = [n for n in (F.ITEM_IDS, F.SCORES, F.AGENT_SCORES, F.AGENT_NAMES)
                   if n not in out]
        if missing:
            raise ValueError(f"{self.path}: {F.SIGNATURE_RECOMMEND!r} lacks outputs {missing}; "
                             "the serving contract (serving/README.md) requires item_ids, scores, "
                             "agent_scores, agent_names")
        return {F.ITEM_IDS: _strings(out[F.ITEM_IDS].numpy()), F.SCORES: out[F.SCORES].numpy(),
                F.AGENT_SCORES: out[F.AGENT_SCORES].numpy(),
                F.AGENT_NAMES: _strings(out[F.AGENT_NAMES].numpy()).reshape(-1)}

    def score(self, user_ids, item_ids) -> Dict[str, np.ndarray]:
        """Calls `score`: [batch] users x [batch, n] items -> scores [batch, n], agent_scores
        [batch, n, agents].

        `item_ids` is [batch] id lists (padded and encoded here), a 2-D numpy array of utf-8
        bytes as `pad_ids` returns, or a [1, n] tensor from `shared_items`, the same items for
        every user (copied per user inside TensorFlow: converting a whole catalogue of Python
        bytes per call cost more than the model call at 100,000 items)."""
        if self._score is None:
            raise ValueError(f"{self.path}: no {F.SIGNATURE_SCORE!r} signature")
        tf = _tf()
        if tf.is_tensor(item_ids):
            items = tf.tile(item_ids, [len(user_ids), 1])
        else:
            items = tf.constant(item_ids if isinstance(item_ids, np.ndarray)
                                and item_ids.ndim == 2 else pad_ids(item_ids))
        out = self._score(
            user_id=tf.constant(
                np.asarray([str(u).encode("utf-8") for u in user_ids], dtype=object)),
            item_ids=items)
        return {F.SCORES: out[F.SCORES].numpy(), F.AGENT_SCORES: out[F.AGENT_SCORES].numpy()}


def _strings(array: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b),
                        otypes=[object])(array) if array.size else array.astype(object)
