"""What the trainer trains on: vocabularies, the catalogue's text vectors and index arrays.

Built once by the launching process (from an `Examples` artifact + `TransformGraph`, or from
a canonical folder for `recsys train`) and saved to a folder that every worker process loads,
so all workers see byte-identical inputs.

Vocabularies:
- users: the tf.Transform `user_id_vocab` when a TransformGraph is given (position = the
  graph's `user_index`, so `serving_default` can use the graph's lookup directly), else the
  train users in first-seen order;
- items: the whole catalogue of the item embeddings (cold items without interactions
  included), then train items missing from it (zero text vector, counted in
  `counts["items_without_text"]`).
Ratings (example_gen writes 0.0 for "none") become interaction weights when the train split
has any; missing ones take the mean rating.
"""

import dataclasses
import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from components import common
from rec_model import features as F
from rec_model.interactions import Interactions
from rec_model.item_embeddings import load_item_embeddings

_ARRAYS = "arrays.npz"
_META = "inputs.json"
_USERS, _ITEMS = "user_ids.txt", "item_ids.txt"
# users, items, timestamps, ratings[, from_feedback (0/1, optional)]
Rows = Tuple[np.ndarray, ...]


@dataclasses.dataclass
class TrainingInputs:
    """Everything a worker needs besides the configs.

    Attributes:
        user_ids / item_ids: vocabularies, position = index.
        text_embeddings: [items, text_dim] float32.
        train: train interactions over those indices.
        eval: held-out interactions of known users and items.
        counts: rows, users, items, cold items, dropped eval rows, ...
        data_span: {"min_timestamp", "max_timestamp", "span"} of the train data.
    """

    user_ids: List[str]
    item_ids: List[str]
    text_embeddings: np.ndarray
    train: Interactions
    eval: Interactions
    counts: Dict[str, int]
    data_span: Dict[str, Optional[int]]

    def save(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        arrays = {"text": self.text_embeddings.astype(np.float32)}
        for name, data in (("train", self.train), ("eval", self.eval)):
            arrays.update({f"{name}_user": data.user_index, f"{name}_item": data.item_index,
                           f"{name}_time": _or_empty(data.timestamp),
                           f"{name}_rating": _or_empty(data.rating),
                           f"{name}_feedback": _or_empty(data.from_feedback),
                           f"{name}_key": _or_empty(data.row_key)})
        np.savez(os.path.join(directory, _ARRAYS), **arrays)
        for name, ids in ((_USERS, self.user_ids), (_ITEMS, self.item_ids)):
            with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as f:
                f.write("".join(f"{i}\n" for i in ids))
        with open(os.path.join(directory, _META), "w", encoding="utf-8") as f:
            json.dump({"counts": self.counts, "data_span": self.data_span}, f)

    @classmethod
    def load(cls, directory: str) -> "TrainingInputs":
        path = os.path.join(directory, _META)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{directory} holds no trainer inputs ({_META} missing); "
                                    "write them with TrainingInputs.save")
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
        ids = []
        for name in (_USERS, _ITEMS):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                ids.append(f.read().split("\n")[:-1])
        with np.load(os.path.join(directory, _ARRAYS), allow_pickle=False) as a:
            optional = (lambda key: _or_none(a[key]) if key in a else None)
            data = [Interactions(a[f"{n}_user"], a[f"{n}_item"], len(ids[0]), len(ids[1]),
                                 _or_none(a[f"{n}_time"]), _or_none(a[f"{n}_rating"]),
                                 optional(f"{n}_feedback"), optional(f"{n}_key"))
                    for n in ("train", "eval")]
            return cls(ids[0], ids[1], a["text"], data[0], data[1], meta["counts"],
                       meta["data_span"])


def _or_empty(values):
    return np.zeros(0) if values is None else values


def _or_none(values):
    return None if values.size == 0 else values


def _ratings(values: np.ndarray, counts: Dict[str, int]) -> Optional[np.ndarray]:
    """Positive ratings as weights (missing -> mean); None without any, or with
    non-positive ones (which cannot be weights: counted, ratings ignored)."""
    values = np.asarray(values, np.float64)
    present = values != 0
    if not present.any():
        return None
    if (values[present] < 0).any():
        counts["ratings_ignored_negative"] = int((values < 0).sum())
        return None
    counts["rows_without_rating"] = int((~present).sum())
    return np.where(present, values, values[present].mean())


def _feedback_flags(column: List[np.ndarray], counts: Dict[str, int]) -> Optional[np.ndarray]:
    """bool [n] from an optional from_feedback column; None when absent or all zero."""
    if not column or not np.any(column[0]):
        return None
    counts["rows_from_feedback"] = int(np.count_nonzero(column[0]))
    return column[0].astype(bool)


def row_keys(users: np.ndarray, items: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
    """[n] uint64 stable identity of each (user id, item id, timestamp) row: the same in
    every version of the data (pandas' fixed-key SipHash), whatever the vocabularies."""
    hash_array = pd.util.hash_array  # str and its utf-8 bytes hash alike
    parts = (hash_array(np.asarray(users, object)), hash_array(np.asarray(items, object)),
             hash_array(np.asarray(timestamps, np.int64)))
    with np.errstate(over="ignore"):
        return parts[0] * np.uint64(0x9E3779B97F4A7C15) ^ parts[1] * np.uint64(3) ^ parts[2]


def _decode(values) -> List[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def build_inputs(train_rows: Rows, eval_rows: Rows, embeddings_dir: str,
                 user_vocab: Optional[Sequence[str]] = None, span: Optional[int] = None,
                 extra_counts: Optional[Dict[str, int]] = None) -> TrainingInputs:
    """Maps string interactions onto vocabularies.

    Args:
        train_rows / eval_rows: (user ids [n], item ids [n] as str or utf-8 bytes,
            timestamps [n] int64, ratings [n] float with 0 = none[, from_feedback [n] 0/1]).
        embeddings_dir: an item-embeddings folder (`rec_model.item_embeddings`).
        user_vocab: fixed user vocabulary (the TransformGraph's); None = train users.
        span: data span number for the model card.
        extra_counts: merged into `counts`.

    Raises:
        ValueError: no train rows, or a fixed vocabulary that misses train users.
    """
    users, items, ts, rating, *feedback = (np.asarray(a) for a in train_rows)
    if users.size == 0:
        raise ValueError("no train interactions; check the Examples' Split-train or the data "
                         "folder")
    catalogue, text, _ = load_item_embeddings(embeddings_dir)
    item_codes, item_uniques = pd.factorize(items)
    train_items = _decode(item_uniques)
    position = pd.Index(catalogue)
    missing = [i for i, p in zip(train_items, position.get_indexer(train_items)) if p < 0]
    item_ids = list(catalogue) + missing
    item_index = pd.Index(item_ids).get_indexer(train_items)[item_codes]
    if missing:
        text = np.concatenate([text, np.zeros((len(missing), text.shape[1]), np.float32)])
    user_codes, user_uniques = pd.factorize(users)
    train_users = _decode(user_uniques)
    user_ids = train_users if user_vocab is None else [str(u) for u in user_vocab]
    user_position = pd.Index(user_ids).get_indexer(train_users)
    if (user_position < 0).any():
        unknown = [u for u, p in zip(train_users, user_position) if p < 0]
        raise ValueError(f"{len(unknown)} train users (e.g. {sorted(unknown)[:3]}) are not in the "
                         "user vocabulary; the TransformGraph must be analysed on the same split")
    for kind, ids in (("user", user_ids), ("item", item_ids)):
        bad = next((i for i in ids if "\n" in i or "\r" in i), None)
        if bad is not None:  # vocabularies are one id per line in the exported model
            raise ValueError(f"{kind} id {bad!r} contains a line break; ids must be single-line "
                             "(fix the input data)")
    counts = {"train_rows": int(users.size)}
    train = Interactions(user_position[user_codes], item_index, len(user_ids), len(item_ids),
                         np.asarray(ts, np.float64), _ratings(rating, counts),
                         _feedback_flags(feedback, counts), row_keys(users, items, ts))
    e_users, e_items, e_ts = (np.asarray(a) for a in tuple(eval_rows)[:3])
    e_u = pd.Index(user_ids).get_indexer(_decode(e_users)) if e_users.size else np.zeros(0, int)
    e_i = pd.Index(item_ids).get_indexer(_decode(e_items)) if e_items.size else np.zeros(0, int)
    keep = (e_u >= 0) & (e_i >= 0)
    held = Interactions(e_u[keep], e_i[keep], len(user_ids), len(item_ids),
                        np.asarray(e_ts, np.float64)[keep] if e_ts.size else None)
    trained_items = train.item_counts() > 0
    counts.update({"eval_rows": int(e_users.size),
                   "eval_rows_unknown_user_or_item": int((~keep).sum()),
                   "users": len(user_ids), "items": len(item_ids),
                   "items_with_interactions": int(trained_items.sum()),
                   "cold_items": int((~trained_items).sum()), "items_without_text": len(missing),
                   "text_dim": int(text.shape[1]), "has_ratings": int(train.rating is not None)})
    counts.update(extra_counts or {})
    span_info = {"min_timestamp": int(np.min(ts)), "max_timestamp": int(np.max(ts)), "span": span}
    return TrainingInputs(user_ids, item_ids, np.asarray(text, np.float32), train, held, counts,
                          span_info)


def read_examples_split(examples_uri: str, split: str) -> Rows:
    """Reads `<uri>/Split-<split>/*.gz` tf.Examples -> (user ids, item ids as bytes,
    timestamps, ratings (0 = none), from_feedback (0/1)) arrays."""
    import tensorflow as tf

    pattern = os.path.join(examples_uri, f"Split-{split}", "*")
    paths = sorted(tf.io.gfile.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no files match {pattern}; the Examples artifact must come from "
                                "example_gen")
    spec = {F.USER_ID: tf.io.FixedLenFeature([], tf.string),
            F.ITEM_ID: tf.io.FixedLenFeature([], tf.string),
            F.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64),
            F.RATING: tf.io.FixedLenFeature([], tf.float32, default_value=0.0),
            F.FROM_FEEDBACK: tf.io.FixedLenFeature([], tf.int64, default_value=0)}
    parts = {k: [] for k in spec}
    for path in paths:  # One after another: interleaving hands each record between threads.
        for records in common.read_record_batches(path, common.PARSE_BATCH_ROWS):
            batch = tf.io.parse_example(records, spec)
            for key in spec:
                parts[key].append(batch[key].numpy())
    cat = (lambda key, dtype: np.concatenate(parts[key]) if parts[key] else np.zeros(0, dtype))
    return (cat(F.USER_ID, object), cat(F.ITEM_ID, object), cat(F.TIMESTAMP, np.int64),
            cat(F.RATING, np.float32), cat(F.FROM_FEEDBACK, np.int64))
