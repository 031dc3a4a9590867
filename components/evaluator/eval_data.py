"""The train/eval interactions of an `Examples` artifact, grouped per user for ranking.

Memory stays proportional to the number of rows in int arrays, not Python objects: the
splits are read as integer codes (one dict per id kind), which users have an eval item
outside their train items is decided with numpy on (user, item) keys, and only the sampled
users (`EvaluatorConfig.max_users`, `rec_model.sampled_metrics.sample_users`) get per-user
histories. At 20M rows that is about 0.4 GB instead of tens of GB of tuples.
"""

import dataclasses
import os
from typing import Dict, List, Sequence, Tuple

import numpy as np

from components import common
from rec_model import features as F
from rec_model.sampled_metrics import sample_users


def _tf():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    return tf


def _split_batches(examples_uri: str, split: str):
    """Yields (user_id [b] bytes, item_id [b] bytes, timestamp [b] int64) numpy batches.

    Raises:
        FileNotFoundError: the split folder holds no files.
    """
    tf = _tf()
    files = sorted(tf.io.gfile.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    if not files:
        raise FileNotFoundError(
            f"{examples_uri}: no files under Split-{split}/; pass the Examples artifact of "
            f"example_gen, which writes Split-{F.TRAIN_SPLIT}/ and Split-{F.EVAL_SPLIT}/")
    spec = {F.USER_ID: tf.io.FixedLenFeature([], tf.string),
            F.ITEM_ID: tf.io.FixedLenFeature([], tf.string),
            F.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64, default_value=0)}
    for path in files:
        for records in common.read_record_batches(path, common.PARSE_BATCH_ROWS):
            batch = tf.io.parse_example(records, spec)
            yield tuple(batch[key].numpy() for key in (F.USER_ID, F.ITEM_ID, F.TIMESTAMP))


def read_split(examples_uri: str, split: str) -> List[Tuple[str, str, int]]:
    """[(user_id, item_id, timestamp)] of one split in file order (small data and tests)."""
    return [(u.decode("utf-8"), i.decode("utf-8"), int(t))
            for users, items, stamps in _split_batches(examples_uri, split)
            for u, i, t in zip(users, items, stamps)]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` by one sort: numpy 2.4's hash-based `unique` took 3.0 s where this
    takes 0.2 s on 3.2M mostly distinct (user, item) keys (size M's train split)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


def _sorted_contains(sorted_unique: np.ndarray, values: np.ndarray) -> np.ndarray:
    """[n] bool: which `values` are in `sorted_unique` (binary search, as `np.isin` without
    its two hash-based `unique` calls)."""
    if not sorted_unique.size:
        return np.zeros(values.shape, dtype=bool)
    position = np.minimum(np.searchsorted(sorted_unique, values), sorted_unique.size - 1)
    return sorted_unique[position] == values


class _Codes:
    """Dense integer codes of ids, in order of first appearance."""

    def __init__(self):
        self.index: Dict = {}

    def encode(self, ids) -> np.ndarray:
        setdefault, index = self.index.setdefault, self.index
        return np.fromiter((setdefault(v, len(index)) for v in ids), np.int64, count=len(ids))

    def names(self) -> List[str]:
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in self.index]


@dataclasses.dataclass(frozen=True)
class EvalSet:
    """Per-user ground truth of the full-ranking protocol (../shared/BENCHMARK.md).

    Attributes:
        users: the evaluated users, sorted by id: the eligible users (at least one eval item
            not among their train items), or a seeded sample of them.
        history: user -> train items, oldest first, without repeats (sent as `history` and
            `exclude`).
        relevant: user -> eval items that are not among the user's train items.
        item_counts: train-split interaction count per item (the popularity baseline).
        catalogue: every item of train and eval, sorted by id (ranked by the `score` signature).
        users_total: eligible users before sampling.
        seed: the sample's seed.
    """

    users: Tuple[str, ...]
    history: Dict[str, Tuple[str, ...]]
    relevant: Dict[str, frozenset]
    item_counts: Dict[str, int]
    catalogue: Tuple[str, ...]
    users_total: int = 0
    seed: int = 42

    @classmethod
    def from_arrays(cls, train, eval_, user_names: Sequence[str], item_names: Sequence[str],
                    max_users: int = 0, seed: int = 42) -> "EvalSet":
        """Builds the set from coded splits.

        Args:
            train: (user codes [n], item codes [n], timestamps [n]) int arrays.
            eval_: (user codes [m], item codes [m]) int arrays.
            user_names, item_names: code -> id.
            max_users: sample size (0 = every eligible user).
            seed: the sample's seed.
        """
        train_u, train_i, train_t = (np.asarray(a, dtype=np.int64) for a in train)
        eval_u, eval_i = (np.asarray(a, dtype=np.int64) for a in eval_)
        n_items = max(len(item_names), 1)
        train_keys = _sorted_unique(train_u * n_items + train_i)
        novel = ~_sorted_contains(train_keys, eval_u * n_items + eval_i)
        eligible = _sorted_unique(eval_u[novel])
        chosen = set(sample_users([user_names[c] for c in eligible], max_users, seed))
        codes = np.asarray(sorted(c for c in eligible.tolist() if user_names[c] in chosen),
                           dtype=np.int64)

        history: Dict[str, Dict[str, None]] = {user_names[c]: {} for c in codes.tolist()}
        rows = np.flatnonzero(np.isin(train_u, codes))
        rows = rows[np.argsort(train_t[rows], kind="stable")]  # Oldest first; ties: file order.
        for u, i in zip(train_u[rows].tolist(), train_i[rows].tolist()):
            history[user_names[u]].setdefault(item_names[i], None)
        relevant: Dict[str, set] = {}
        rows = np.flatnonzero(novel & np.isin(eval_u, codes))
        for u, i in zip(eval_u[rows].tolist(), eval_i[rows].tolist()):
            relevant.setdefault(user_names[u], set()).add(item_names[i])

        counts = np.bincount(train_i, minlength=len(item_names))
        users = tuple(sorted(history))
        return cls(users=users,
                   history={u: tuple(history[u]) for u in users},
                   relevant={u: frozenset(relevant[u]) for u in users},
                   item_counts={item_names[i]: int(counts[i]) for i in np.flatnonzero(counts)},
                   catalogue=tuple(sorted(set(item_names[i] for i in np.unique(
                       np.concatenate([train_i, eval_i])).tolist()))),
                   users_total=int(eligible.size), seed=seed)

    @classmethod
    def from_rows(cls, train, eval_, max_users: int = 0, seed: int = 42) -> "EvalSet":
        """Builds the set from `read_split`-style (user, item, timestamp) rows of both splits."""
        users, items = _Codes(), _Codes()
        coded_train = (users.encode([r[0] for r in train]), items.encode([r[1] for r in train]),
                       np.asarray([r[2] for r in train], dtype=np.int64))
        coded_eval = (users.encode([r[0] for r in eval_]), items.encode([r[1] for r in eval_]))
        return cls.from_arrays(coded_train, coded_eval, users.names(), items.names(),
                               max_users, seed)

    @classmethod
    def from_examples(cls, examples_uri: str, max_users: int = 0, seed: int = 42) -> "EvalSet":
        """Reads the train and eval splits of an Examples artifact (as int codes).

        Raises:
            ValueError: no eval user has an item outside their train items.
        """
        users, items = _Codes(), _Codes()
        coded = {}
        for split in (F.TRAIN_SPLIT, F.EVAL_SPLIT):
            parts = [(users.encode(u), items.encode(i), t)
                     for u, i, t in _split_batches(examples_uri, split)]
            coded[split] = [np.concatenate([p[k] for p in parts]) if parts
                            else np.zeros(0, np.int64) for k in range(3)]
        data = cls.from_arrays(coded[F.TRAIN_SPLIT], coded[F.EVAL_SPLIT][:2], users.names(),
                               items.names(), max_users, seed)
        if not data.users:
            raise ValueError(f"{examples_uri}: no user has an eval item outside their train "
                             "items; check example_gen's split (eval_fraction, "
                             "min_interactions_for_eval)")
        return data
