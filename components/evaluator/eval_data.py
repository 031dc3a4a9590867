"""The train/eval interactions of an `Examples` artifact, grouped per user for ranking."""

import dataclasses
import os
from typing import Dict, List, Tuple

from rec_model import features as F


def _tf():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    return tf


def read_split(examples_uri: str, split: str) -> List[Tuple[str, str, int]]:
    """Reads `<uri>/Split-<split>/*` (gzipped tf.Example TFRecords written by example_gen).

    Returns:
        [(user_id, item_id, timestamp)] in file order.

    Raises:
        FileNotFoundError: the split folder holds no files.
    """
    tf = _tf()
    files = sorted(tf.io.gfile.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    if not files:
        raise FileNotFoundError(
            f"{examples_uri}: no files under Split-{split}/; pass the Examples artifact of example_gen, "
            f"which writes Split-{F.TRAIN_SPLIT}/ and Split-{F.EVAL_SPLIT}/")
    spec = {F.USER_ID: tf.io.FixedLenFeature([], tf.string),
            F.ITEM_ID: tf.io.FixedLenFeature([], tf.string),
            F.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64, default_value=0)}
    rows = []
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").batch(8192)
    for batch in dataset.map(lambda x: tf.io.parse_example(x, spec)):
        users, items, stamps = (batch[F.USER_ID].numpy(), batch[F.ITEM_ID].numpy(), batch[F.TIMESTAMP].numpy())
        rows.extend((u.decode("utf-8"), i.decode("utf-8"), int(t)) for u, i, t in zip(users, items, stamps))
    return rows


@dataclasses.dataclass(frozen=True)
class EvalSet:
    """Per-user ground truth of the full-ranking protocol (../shared/BENCHMARK.md).

    Attributes:
        users: users with at least one eval item not in their train items, sorted by id.
        history: user -> train items, oldest first, without repeats (sent as `history` and
            `exclude`).
        relevant: user -> eval items that are not among the user's train items.
        item_counts: train-split interaction count per item (the popularity baseline).
        catalogue: every item of train and eval, sorted by id (ranked by the `score` signature).
    """

    users: Tuple[str, ...]
    history: Dict[str, Tuple[str, ...]]
    relevant: Dict[str, frozenset]
    item_counts: Dict[str, int]
    catalogue: Tuple[str, ...]

    @classmethod
    def from_rows(cls, train, eval_, max_users: int = 0) -> "EvalSet":
        """Builds the set from `read_split`-style rows of both splits."""
        history: Dict[str, Dict[str, int]] = {}
        counts: Dict[str, int] = {}
        for user, item, ts in sorted(train, key=lambda r: r[2]):
            history.setdefault(user, {}).setdefault(item, ts)
            counts[item] = counts.get(item, 0) + 1
        relevant: Dict[str, set] = {}
        for user, item, _ in eval_:
            if item not in history.get(user, {}):
                relevant.setdefault(user, set()).add(item)
        users = tuple(sorted(relevant))
        if max_users:
            users = users[:max_users]
        catalogue = tuple(sorted(set(counts) | {i for _, i, _ in eval_}))
        return cls(users=users,
                   history={u: tuple(history.get(u, {})) for u in users},
                   relevant={u: frozenset(relevant[u]) for u in users},
                   item_counts=counts, catalogue=catalogue)

    @classmethod
    def from_examples(cls, examples_uri: str, max_users: int = 0) -> "EvalSet":
        """Reads the train and eval splits of an Examples artifact.

        Raises:
            ValueError: no eval user has an item outside their train items.
        """
        data = cls.from_rows(read_split(examples_uri, F.TRAIN_SPLIT), read_split(examples_uri, F.EVAL_SPLIT),
                             max_users)
        if not data.users:
            raise ValueError(f"{examples_uri}: no user has an eval item outside their train items; "
                             "check example_gen's split (eval_fraction, min_interactions_for_eval)")
        return data
