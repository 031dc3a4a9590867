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
"""

import dataclasses
import json
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from rec_model import features as F
from rec_model.item_embeddings import load_item_embeddings
from rec_model.training_data import TrainingData

_ARRAYS = "arrays.npz"
_META = "inputs.json"


@dataclasses.dataclass
class TrainingInputs:
    """Everything a worker needs besides the configs.

    Attributes:
        user_ids: [users] vocabulary, position = user index.
        item_ids: [items] catalogue, position = item index.
        text_embeddings: [items, text_dim] float32.
        train: train interactions over those indices (timestamps in unix seconds).
        eval_user_index / eval_item_index: [n_eval] held-out pairs of known users and items.
        counts: rows read, users, items, cold items, eval rows dropped (unknown user/item), ...
        data_span: {"min_timestamp", "max_timestamp", "span"} of the train data.
    """

    user_ids: List[str]
    item_ids: List[str]
    text_embeddings: np.ndarray
    train: TrainingData
    eval_user_index: np.ndarray
    eval_item_index: np.ndarray
    counts: Dict[str, int]
    data_span: Dict[str, Optional[int]]

    def user_histories(self, last_n: int = 0) -> List[List[int]]:
        """Per user index, their train item indices in time order (the last `last_n`, 0 = all)."""
        ts = self.train.timestamp if self.train.timestamp is not None else np.zeros(self.train.user_index.size)
        order = np.lexsort((ts, self.train.user_index))
        users, items = self.train.user_index[order], self.train.item_index[order]
        out: List[List[int]] = [[] for _ in self.user_ids]
        for user, item in zip(users.tolist(), items.tolist()):
            out[user].append(item)
        if last_n:
            out = [h[-last_n:] for h in out]
        return out

    def eval_by_user(self) -> Dict[int, List[int]]:
        out: Dict[int, List[int]] = {}
        for user, item in zip(self.eval_user_index.tolist(), self.eval_item_index.tolist()):
            out.setdefault(user, []).append(item)
        return out

    def save(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        np.savez(os.path.join(directory, _ARRAYS), text=self.text_embeddings.astype(np.float32),
                 user_index=self.train.user_index, item_index=self.train.item_index,
                 timestamp=(self.train.timestamp if self.train.timestamp is not None else np.zeros(0)),
                 eval_user_index=self.eval_user_index, eval_item_index=self.eval_item_index)
        with open(os.path.join(directory, _META), "w", encoding="utf-8") as f:
            json.dump({"user_ids": self.user_ids, "item_ids": self.item_ids, "counts": self.counts,
                       "data_span": self.data_span, "has_timestamp": self.train.timestamp is not None}, f)

    @classmethod
    def load(cls, directory: str) -> "TrainingInputs":
        path = os.path.join(directory, _META)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{directory} holds no trainer inputs ({_META} missing); "
                                    "write them with TrainingInputs.save")
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
        with np.load(os.path.join(directory, _ARRAYS), allow_pickle=False) as arrays:
            ts = arrays["timestamp"] if meta["has_timestamp"] else None
            train = TrainingData(arrays["user_index"], arrays["item_index"], len(meta["user_ids"]),
                                 len(meta["item_ids"]), ts)
            return cls(meta["user_ids"], meta["item_ids"], arrays["text"], train, arrays["eval_user_index"],
                       arrays["eval_item_index"], meta["counts"], meta["data_span"])


def build_inputs(train_rows, eval_rows, embeddings_dir: str, user_vocab: Optional[Sequence[str]] = None,
                 span: Optional[int] = None, extra_counts: Optional[Dict[str, int]] = None) -> TrainingInputs:
    """Maps string interactions onto vocabularies.

    Args:
        train_rows / eval_rows: (user_ids [n] str, item_ids [n] str, timestamps [n] int64).
        embeddings_dir: an item-embeddings folder (`rec_model.item_embeddings`).
        user_vocab: fixed user vocabulary (the TransformGraph's); None = train users.
        span: data span number for the model card.
        extra_counts: merged into `counts`.

    Raises:
        ValueError: no train rows, or a fixed vocabulary that misses train users.
    """
    users, items, ts = (np.asarray(a) for a in train_rows)
    if users.size == 0:
        raise ValueError("no train interactions; check the Examples' Split-train or the data folder")
    catalogue, text, _ = load_item_embeddings(embeddings_dir)
    item_ids = list(catalogue)
    item_pos = {item: i for i, item in enumerate(item_ids)}
    missing = [i for i in dict.fromkeys(items.tolist()) if i not in item_pos]
    for item in missing:
        item_pos[item] = len(item_ids)
        item_ids.append(item)
    if missing:
        text = np.concatenate([text, np.zeros((len(missing), text.shape[1]), np.float32)])
    if user_vocab is None:
        user_ids = list(dict.fromkeys(users.tolist()))
    else:
        user_ids = [str(u) for u in user_vocab]
    user_pos = {user: i for i, user in enumerate(user_ids)}
    unknown = [u for u in set(users.tolist()) if u not in user_pos]
    if unknown:
        raise ValueError(f"{len(unknown)} train users (e.g. {sorted(unknown)[:3]}) are not in the user vocabulary; "
                         "the TransformGraph must be analysed on the same train split")
    u_index = np.array([user_pos[u] for u in users.tolist()], np.int64)
    i_index = np.array([item_pos[i] for i in items.tolist()], np.int64)
    train = TrainingData(u_index, i_index, len(user_ids), len(item_ids), ts.astype(np.float64))
    e_users, e_items, _ = (np.asarray(a) for a in eval_rows)
    e_u = np.array([user_pos.get(u, -1) for u in e_users.tolist()], np.int64)
    e_i = np.array([item_pos.get(i, -1) for i in e_items.tolist()], np.int64)
    keep = (e_u >= 0) & (e_i >= 0)
    trained_items = np.bincount(i_index, minlength=len(item_ids)) > 0
    counts = {"train_rows": int(users.size), "eval_rows": int(e_users.size),
              "eval_rows_unknown_user_or_item": int((~keep).sum()), "users": len(user_ids),
              "items": len(item_ids), "items_with_interactions": int(trained_items.sum()),
              "cold_items": int((~trained_items).sum()), "items_without_text": len(missing),
              "text_dim": int(text.shape[1])}
    counts.update(extra_counts or {})
    span_info = {"min_timestamp": int(ts.min()), "max_timestamp": int(ts.max()), "span": span}
    return TrainingInputs(user_ids, item_ids, np.asarray(text, np.float32), train, e_u[keep], e_i[keep], counts,
                          span_info)


def read_examples_split(examples_uri: str, split: str):
    """Reads `<uri>/Split-<split>/*.gz` tf.Examples -> (user_ids, item_ids, timestamps) arrays."""
    import tensorflow as tf

    pattern = os.path.join(examples_uri, f"Split-{split}", "*")
    paths = sorted(tf.io.gfile.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no files match {pattern}; the Examples artifact must come from example_gen")
    spec = {F.USER_ID: tf.io.FixedLenFeature([], tf.string), F.ITEM_ID: tf.io.FixedLenFeature([], tf.string),
            F.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64)}
    ds = tf.data.TFRecordDataset(paths, compression_type="GZIP").batch(4096).map(
        lambda x: tf.io.parse_example(x, spec))
    users, items, ts = [], [], []
    for batch in ds:
        users.append(batch[F.USER_ID].numpy())
        items.append(batch[F.ITEM_ID].numpy())
        ts.append(batch[F.TIMESTAMP].numpy())
    decode = np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])
    cat = (lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype))
    u, i = cat(users, object), cat(items, object)
    return (decode(u) if u.size else u.astype(object), decode(i) if i.size else i.astype(object),
            cat(ts, np.int64))
