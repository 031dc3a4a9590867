"""Columnar (Arrow) split of interaction batches: user buckets and the train/eval split.

Beam pays a fixed cost per element, so rows travel in batches: a read batch becomes one Arrow
table, is cut into one part per user bucket (a stable hash of the user id), the parts of a
bucket are grouped and split by time with numpy, never one Python object per row. The rules
are those of `splitting.split_user_history` and `splitting.random_split`.
"""

import zlib
from typing import Iterator, List, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from components.example_gen import splitting
from components.example_gen.config import ExampleGenConfig
from rec_model import features as F
from rec_model.data import canonical
from rec_model.data.interaction_batches import InteractionBatch

SCHEMA = pa.schema([
    (F.USER_ID, pa.string()), (F.ITEM_ID, pa.string()),
    (F.TIMESTAMP, pa.int64()), (F.RATING, pa.float64()),  # rating null = not given
    (F.FROM_FEEDBACK, pa.bool_()),
])
SPLITS = (F.TRAIN_SPLIT, F.EVAL_SPLIT)
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(
    compression="zstd" if pa.Codec.is_available("zstd") else None)


def to_table(batch: InteractionBatch, from_feedback: bool = False) -> pa.Table:
    """The good rows of a batch as an Arrow table with `SCHEMA`."""
    return pa.Table.from_arrays(
        [pa.array(batch.user_ids, pa.string()), pa.array(batch.item_ids, pa.string()),
         pa.array(batch.timestamps, pa.int64()), pa.array(batch.ratings, pa.float64()),
         pa.array(np.full(len(batch), from_feedback, bool), pa.bool_())],
        schema=SCHEMA)


def user_bucket(user_id: str, n_buckets: int) -> int:
    """Stable bucket of a user (crc32: the same in every process, unlike `hash`)."""
    return zlib.crc32(user_id.encode("utf-8")) % n_buckets


def to_bytes(table: pa.Table) -> bytes:
    """Arrow IPC stream bytes: compact, and explicit about what crosses the shuffle.

    zstd-compressed (about 3x smaller for ids and timestamps, at ~0.2 us a row): the local
    DirectRunner holds the whole shuffle in memory, a few copies of it at a time.
    """
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SCHEMA, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_bytes(parts) -> pa.Table:
    """Inverse of `to_bytes`, concatenating several parts."""
    tables = [pa.ipc.open_stream(part).read_all() for part in parts]
    return pa.concat_tables(tables) if tables else SCHEMA.empty_table()


def bucket_parts(tagged: Tuple[InteractionBatch, bool], n_buckets: int
                 ) -> Iterator[Tuple[int, bytes]]:
    """(bucket, Arrow bytes of the batch's rows in that bucket) for each non-empty bucket of a
    (batch, from_feedback) pair."""
    batch, from_feedback = tagged
    if not len(batch):
        return
    crc32 = zlib.crc32
    keys = np.fromiter((crc32(u.encode("utf-8")) for u in batch.user_ids), np.uint32,
                       count=len(batch)) % n_buckets
    order = np.argsort(keys, kind="stable")
    table = to_table(batch, from_feedback).take(pa.array(order))
    ends = np.cumsum(np.bincount(keys, minlength=n_buckets))
    start = 0
    for bucket, end in enumerate(ends.tolist()):
        if end > start:
            yield bucket, to_bytes(table.slice(start, end - start))
        start = end


def time_split(table: pa.Table, config: ExampleGenConfig) -> Tuple[pa.Table, np.ndarray]:
    """Each user's last `ceil(eval_fraction * n)` rows by (timestamp, `canonical.tie_key`) go
    to eval.

    Args:
        table: all rows of some users (every row of each user it holds), `SCHEMA`.
        config: the split rules (see `splitting.split_user_history`).

    Returns:
        (the rows sorted by user, timestamp, item; bool [rows] True for eval).
    """
    n = table.num_rows
    if n == 0:
        return table, np.zeros(0, dtype=bool)
    order = pc.sort_indices(table, sort_keys=[(F.USER_ID, "ascending"),
                                              (F.TIMESTAMP, "ascending"),
                                              (F.ITEM_ID, "ascending")])
    table = table.take(order)
    users = table.column(F.USER_ID).combine_chunks()
    starts = np.ones(n, dtype=bool)
    if n > 1:
        starts[1:] = pc.not_equal(users.slice(1), users.slice(0, n - 1)).to_numpy(
            zero_copy_only=False)
    table = _ties_in_hash_order(table, starts, config.seed)
    first = np.flatnonzero(starts)
    sizes = np.diff(np.append(first, n))
    # Same arithmetic as `split_user_history` (math.ceil of the same float product).
    n_eval = np.minimum(sizes - 1, np.maximum(1, np.ceil(config.eval_fraction * sizes)))
    n_eval = np.where(sizes >= config.min_interactions_for_eval, n_eval, 0).astype(np.int64)
    group = np.cumsum(starts) - 1
    rank = np.arange(n) - first[group]
    return table, _allowed(table, rank >= (sizes - n_eval)[group], config)


def _ties_in_hash_order(table: pa.Table, starts: np.ndarray, seed: int) -> pa.Table:
    """`table` (sorted by user and timestamp; `starts` [rows] True at each user's first row)
    with each run of one user's rows at one time in `canonical.tie_order`."""
    stamps = table.column(F.TIMESTAMP).to_numpy()
    same = np.zeros(table.num_rows, dtype=bool)
    same[1:] = ~starts[1:] & (stamps[1:] == stamps[:-1])
    order = canonical.tie_order(same, lambda rows: tuple(
        table.column(c).take(rows).to_pylist() for c in (F.USER_ID, F.ITEM_ID)), seed)
    return table if order is None else table.take(order)


def _allowed(table: pa.Table, is_eval: np.ndarray, config: ExampleGenConfig) -> np.ndarray:
    """`is_eval` without feedback rows unless `config.evaluate_feedback`."""
    if config.evaluate_feedback:
        return is_eval
    return is_eval & ~table.column(F.FROM_FEEDBACK).to_numpy(zero_copy_only=False)


def random_split(table: pa.Table, config: ExampleGenConfig) -> np.ndarray:
    """bool [rows], True for eval, by `splitting.random_split`'s stable per-row hash."""
    eval_split = F.EVAL_SPLIT
    rows = zip(*(table.column(c).to_pylist() for c in (F.USER_ID, F.ITEM_ID, F.TIMESTAMP)))
    return _allowed(table, np.fromiter((splitting.random_split_key(u, i, t, config) == eval_split
                                        for u, i, t in rows), dtype=bool, count=table.num_rows),
                    config)


def by_split(table: pa.Table, is_eval: np.ndarray) -> List[Tuple[str, pa.Table]]:
    """[(split name, its rows)] for the non-empty splits."""
    out = []
    for name, mask in ((F.TRAIN_SPLIT, ~is_eval), (F.EVAL_SPLIT, is_eval)):
        if mask.any():
            out.append((name, table.filter(pa.array(mask))))
    return out


def example_batch(table: pa.Table) -> pa.RecordBatch:
    """The raw tf.Example columns of `table` (one value per feature; rating 0.0 = none;
    from_feedback 0/1)."""
    offsets = pa.array(np.arange(table.num_rows + 1, dtype=np.int32))
    columns = [
        table.column(F.USER_ID).combine_chunks().cast(pa.binary()),
        table.column(F.ITEM_ID).combine_chunks().cast(pa.binary()),
        table.column(F.TIMESTAMP).combine_chunks(),
        pc.fill_null(table.column(F.RATING), 0.0).combine_chunks().cast(pa.float32()),
        table.column(F.FROM_FEEDBACK).combine_chunks().cast(pa.int64()),
    ]
    return pa.RecordBatch.from_arrays(
        [pa.ListArray.from_arrays(offsets, column) for column in columns],
        [F.USER_ID, F.ITEM_ID, F.TIMESTAMP, F.RATING, F.FROM_FEEDBACK])
