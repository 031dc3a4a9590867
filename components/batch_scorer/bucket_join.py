"""Joining users with their seen items by hash bucket, without a per-user shuffle.

Stage 1 (one element per file range): each range of the users file or of the seen-items
source is read and split by `bucket_of(user id)` into at most `n_buckets` blocks, emitted as
`(bucket, (kind, columns as JSON bytes))`; with a small enough users file, every worker reads
its ids once and keeps only those users' seen pairs, so the shuffle does not carry the pairs
of users nobody asked for. Stage 2 (after one GroupByKey over a few hundred such
blocks): a bucket's users are de-duplicated, given their seen items and cut into
`ScoringBlock`s. The shuffle moves a few thousand byte strings, not one element per user or
per pair, and memory holds one bucket at a time.
"""

import functools
import json
import zlib
from typing import Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Set, Tuple

import apache_beam as beam

from components.batch_scorer import batch_plan, file_chunks, part_files, seen_pairs
from components.batch_scorer import user_ids as uid
from rec_model import features as F

USERS, SEEN = 0, 1
SEEN_CSV_RANGE, SEEN_CSV_WHOLE, SEEN_TFRECORD = "csv_range", "csv_whole", "tfrecord"


class SeenUnit(NamedTuple):
    """One piece of the seen-items source: `kind` says how `chunk` is read (layout: CSV only)."""

    kind: str
    chunk: file_chunks.FileChunk
    layout: Optional[seen_pairs.CsvLayout] = None


def bucket_of(user_id: str, n_buckets: int) -> int:
    """Stable across processes (unlike `hash`, which is salted per interpreter)."""
    return zlib.crc32(user_id.encode("utf-8")) % n_buckets


def _pack(columns) -> bytes:
    # Bytes, so the runner's shuffle copies one buffer instead of coding each id; JSON, which
    # measured faster than pickle here, and the package never unpickles (tests/reliability).
    return json.dumps(columns, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _unpack(packed: bytes):
    return json.loads(packed)


class _UsersToBuckets(beam.DoFn):
    """A users-file range -> good ids by bucket as `(bucket, (USERS, (lines, ids)))`; bad ids
    -> error records, written by this worker as one part file per range.

    Args:
        n_buckets: hash buckets.
        max_bytes: longer ids are bad.
        errors_dir: folder of the error part files (`part_files`).
        vocabulary: the file is a model's user vocabulary: no header line (a user may be
            called "user_id") and blank lines are skipped rather than reported.
    """

    def __init__(self, n_buckets: int, max_bytes: int, errors_dir: str, vocabulary: bool = False):
        self._n = n_buckets
        self._max_bytes = max_bytes
        self._errors_dir = errors_dir
        self._vocabulary = vocabulary

    def process(self, chunk: file_chunks.FileChunk):
        lines: List[List[int]] = [[] for _ in range(self._n)]
        ids: List[List[str]] = [[] for _ in range(self._n)]
        errors: List[str] = []
        for number, raw in file_chunks.read_lines(chunk):
            raw = raw.rstrip(b"\r")
            if self._vocabulary:
                if not raw.strip():
                    continue
            elif number == 1 and raw.strip() == F.USER_ID.encode():
                continue  # Header.
            user, reason = uid.check_user_id(raw, self._max_bytes)
            if user is None:
                errors.append(uid.error_record(chunk.path, number, reason, raw) + "\n")
                continue
            b = bucket_of(user, self._n)
            lines[b].append(number)
            ids[b].append(user)
        if errors:
            part_files.write_part(self._errors_dir, f"{chunk.start:015d}", "".join(errors))
        for b in range(self._n):
            if ids[b]:
                yield b, (USERS, _pack((lines[b], ids[b])))


def read_seen_unit(unit: SeenUnit, wanted: Optional[FrozenSet[str]] = None) -> seen_pairs.Pairs:
    """The (users, items) columns of one seen-items piece (only `wanted` users' when given)."""
    if unit.kind == SEEN_CSV_RANGE:
        return seen_pairs.pairs_from_lines(file_chunks.read_lines(unit.chunk), unit.layout,
                                           wanted)
    if unit.kind == SEEN_CSV_WHOLE:
        return seen_pairs.pairs_from_whole_csv(unit.chunk.path, wanted)
    return seen_pairs.pairs_from_tfrecords(unit.chunk.path, wanted)


def wanted_users(users_file: str, max_bytes: int) -> FrozenSet[str]:
    """The good ids of a users file (bad ones are reported by `_UsersToBuckets`), read once
    per process while the file keeps its size and modification time."""
    from apache_beam.io.filesystems import FileSystems

    meta = FileSystems.match([users_file])[0].metadata_list[0]
    return _read_wanted(users_file, max_bytes, meta.size_in_bytes, meta.last_updated_in_seconds)


@functools.lru_cache(maxsize=1)  # One copy per worker process, whatever its DoFn instances.
def _read_wanted(users_file: str, max_bytes: int, size: int, mtime: float) -> FrozenSet[str]:
    del size, mtime  # Part of the cache key only.
    good = (uid.check_user_id(raw, max_bytes)[0] for _, raw in uid.iter_user_lines(users_file))
    return frozenset(user for user in good if user is not None)


def forget_wanted_users() -> None:
    """Frees this process's copy (a driver that ran the job in process keeps living)."""
    _read_wanted.cache_clear()


class _SeenToBuckets(beam.DoFn):
    """A seen-items piece -> `(bucket, (SEEN, (users, items)))` per non-empty bucket.

    Args:
        n_buckets: hash buckets.
        users_file: keep only the seen pairs of this file's users (None: every pair).
        max_bytes: longer user ids are bad (as in `_UsersToBuckets`).
    """

    def __init__(self, n_buckets: int, users_file: Optional[str] = None, max_bytes: int = 0):
        self._n = n_buckets
        self._users_file = users_file
        self._max_bytes = max_bytes
        self._wanted: Optional[FrozenSet[str]] = None

    def setup(self):
        # Once per DoFn instance, not per piece: the file's metadata lookup is remote I/O on
        # a cloud runner.
        if self._users_file:
            self._wanted = wanted_users(self._users_file, self._max_bytes)

    def process(self, unit: SeenUnit):
        users, items = read_seen_unit(unit, self._wanted)
        by_user: List[List[str]] = [[] for _ in range(self._n)]
        by_item: List[List[str]] = [[] for _ in range(self._n)]
        for user, item in zip(users, items):
            b = bucket_of(user, self._n)
            by_user[b].append(user)
            by_item[b].append(item)
        for b in range(self._n):
            if by_user[b]:
                yield b, (SEEN, _pack((by_user[b], by_item[b])))


class _BucketToBlocks(beam.DoFn):
    """`(bucket, [(kind, packed)])` -> `ScoringBlock`s of that bucket's distinct users.

    Args:
        users_from_seen: score every user of the seen items (no users file was given).
        exclude_seen: pass each user's seen items as `exclude`.
        max_batch_size / max_cells: bounds of one call (`batch_plan.plan_calls`).
    """

    def __init__(self, users_from_seen: bool, exclude_seen: bool, max_batch_size: int,
                 max_cells: int):
        self._users_from_seen = users_from_seen
        self._exclude_seen = exclude_seen
        self._max_batch_size = max_batch_size
        self._max_cells = max_cells

    def process(self, element: Tuple[int, Iterable[Tuple[int, bytes]]]):
        bucket, values = element
        first_line: Dict[str, int] = {}
        packed_seen: List[bytes] = []
        for kind, packed in values:
            if kind == SEEN:
                packed_seen.append(packed)  # Unpacked once the wanted users are known.
                continue
            for line, user in zip(*_unpack(packed)):
                if line < first_line.get(user, line + 1):
                    first_line[user] = line
        seen: Dict[str, Set[str]] = {}
        for packed in packed_seen:
            users, items = _unpack(packed)
            for user, item in zip(users, items):
                if self._users_from_seen or user in first_line:
                    seen.setdefault(user, set()).add(item)
        if self._users_from_seen:
            ordered = sorted(seen)
        else:
            ordered = sorted(first_line, key=first_line.__getitem__)
        excludes = [sorted(seen.get(u, ())) if self._exclude_seen else [] for u in ordered]
        yield from batch_plan.blocks(f"{bucket:05d}", ordered, excludes, self._max_batch_size,
                                     self._max_cells)


def users_to_buckets(n_buckets: int, max_bytes: int, errors_dir: str,
                     vocabulary: bool = False) -> beam.ParDo:
    """Stage 1 for users-file ranges (`_UsersToBuckets` has the arguments)."""
    return beam.ParDo(_UsersToBuckets(n_buckets, max_bytes, errors_dir, vocabulary))


def seen_to_buckets(n_buckets: int, users_file: Optional[str] = None,
                    max_bytes: int = 0) -> beam.ParDo:
    """Stage 1 for seen-items pieces (`_SeenToBuckets` has the arguments)."""
    return beam.ParDo(_SeenToBuckets(n_buckets, users_file, max_bytes))


def bucket_to_blocks(users_from_seen: bool, exclude_seen: bool, max_batch_size: int,
                     max_cells: int) -> beam.ParDo:
    """Stage 2 (`_BucketToBlocks` has the arguments)."""
    return beam.ParDo(_BucketToBlocks(users_from_seen, exclude_seen, max_batch_size, max_cells))
