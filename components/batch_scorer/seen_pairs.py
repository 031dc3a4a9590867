"""(user id, item id) pairs of the seen-items source, read in parallel pieces.

A canonical interactions file without `"` is split into line ranges (`file_chunks`) and each
range is parsed here with exactly the rows `rec_model.data.canonical` accepts (malformed rows
are example_gen's to quarantine; here they are skipped, as before). A file with quotes or
compression is read whole by `canonical.iter_interactions`, whose quote-aware reader handles
records spanning lines. Examples artifacts are read one TFRecord file at a time and parsed in
batches with `tf.io.parse_example` instead of one proto per record.
"""

import dataclasses
import math
from typing import AbstractSet, Iterable, List, Optional, Tuple

from rec_model import features as F
from rec_model.data import canonical, csv_records

Pairs = Tuple[List[str], List[str]]  # (user ids, item ids), same length.
_PARSE_BATCH = 4096


@dataclasses.dataclass(frozen=True)
class CsvLayout:
    """Where the columns of one interactions file are, from its header.

    Attributes:
        header: normalised column names.
        user / item: column positions.
        time / rating: column positions, or None for a file without one.
        data_start: byte offset just after the header line.
        data_line: line number of the line at `data_start`.
    """

    header: Tuple[str, ...]
    user: int
    item: int
    time: Optional[int]
    rating: Optional[int]
    data_start: int
    data_line: int


def read_layout(path: str) -> CsvLayout:
    """Reads the header of a local interactions file.

    Raises:
        ValueError: empty file, unreadable header or a required column missing (as canonical).
    """
    records = csv_records.iter_records(path)
    header = csv_records.split_header(path, records)
    user, item, time, rating = canonical.interaction_columns(path, header)
    with open(path, "rb") as f:  # The header is the first non-blank line (blank ones are skipped).
        line, start = 0, 0
        for raw in f:
            line += 1
            start += len(raw)
            if raw.strip() and raw.strip() != b"\xef\xbb\xbf":
                break
    return CsvLayout(tuple(header), user, item, time, rating, start, line + 1)


def _timestamp_ok(text: str) -> bool:
    # isdigit() alone also accepts digits such as '²' that int() rejects.
    if (text.isascii() and text.isdigit()
            and canonical.MIN_TIMESTAMP <= int(text) < canonical.MAX_TIMESTAMP):
        return True
    try:
        canonical.parse_timestamp(text)
    except ValueError:
        return False
    return True


def _rating_ok(text: str) -> bool:
    if not text:
        return True
    try:
        if math.isfinite(float(text)):
            return True
    except ValueError:
        pass
    try:
        canonical.parse_rating(text)
    except ValueError:
        return False
    return True


def _fields(raw: bytes, n_cols: int) -> Optional[List[str]]:
    """A quote-free record's fields, or None where csv_records reports an error."""
    if len(raw) + 1 > csv_records.MAX_RECORD_BYTES:
        return None
    try:
        fields = raw.decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    if len(raw) > csv_records.MAX_FIELD_BYTES and any(
            len(f.encode("utf-8")) > csv_records.MAX_FIELD_BYTES for f in fields):
        return None
    return fields if len(fields) == n_cols else None


def pairs_from_lines(lines: Iterable[Tuple[int, bytes]], layout: CsvLayout,
                     wanted: Optional[AbstractSet[str]] = None) -> Pairs:
    """Good rows of quote-free CSV lines (`file_chunks.read_lines` output) as pairs.

    A row counts when `canonical.iter_interactions` would yield it as an `Interaction`:
    right field count, not a repeated header, non-empty ids, valid timestamp and rating.
    With `wanted`, only rows of those users (checked before the costlier field checks).
    """
    users: List[str] = []
    items: List[str] = []
    header, n_cols = list(layout.header), len(layout.header)
    for _, raw in lines:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.strip():
            continue
        fields = _fields(raw, n_cols)
        if fields is None:
            continue
        first = fields[0].lstrip("\ufeff")
        if (first.strip().lower() == header[0]
                and csv_records.normalise_header([first, *fields[1:]]) == header):
            continue  # A repeated header line.
        user, item = fields[layout.user].strip(), fields[layout.item].strip()
        if wanted is not None and user not in wanted:
            continue
        if not user or not item or (layout.time is not None
                                    and not _timestamp_ok(fields[layout.time])):
            continue
        if layout.rating is not None and not _rating_ok(fields[layout.rating]):
            continue
        users.append(user)
        items.append(item)
    return users, items


def pairs_from_whole_csv(path: str, wanted: Optional[AbstractSet[str]] = None) -> Pairs:
    """Good rows of a whole (quoted) interactions file, through canonical's reader (only
    `wanted` users' rows when given)."""
    users: List[str] = []
    items: List[str] = []
    for record in canonical.iter_interactions(path):
        if isinstance(record, canonical.Interaction) and (
                wanted is None or record.user_id in wanted):
            users.append(record.user_id)
            items.append(record.item_id)
    return users, items


def pairs_from_tfrecords(path: str, wanted: Optional[AbstractSet[str]] = None) -> Pairs:
    """(user, item) of every example of one TFRecord file of an Examples artifact that has both
    features (first value of each), parsed `_PARSE_BATCH` records at a time (only `wanted`
    users' examples when given)."""
    import tensorflow as tf

    compression = "GZIP" if path.endswith(".gz") else ""
    spec = {F.USER_ID: tf.io.VarLenFeature(tf.string), F.ITEM_ID: tf.io.VarLenFeature(tf.string)}
    users: List[str] = []
    items: List[str] = []
    for batch in tf.data.TFRecordDataset(path, compression_type=compression).batch(_PARSE_BATCH):
        parsed = tf.io.parse_example(batch, spec)
        firsts = []
        for name in (F.USER_ID, F.ITEM_ID):
            sparse = parsed[name]
            rows = sparse.indices.numpy()
            keep = rows[:, 1] == 0
            column = [b""] * int(batch.shape[0])
            present = [False] * int(batch.shape[0])
            for row, value in zip(rows[keep, 0], sparse.values.numpy()[keep]):
                column[row], present[row] = value, True
            firsts.append((column, present))
        (u_col, u_has), (i_col, i_has) = firsts
        for u, uh, i, ih in zip(u_col, u_has, i_col, i_has):
            if uh and ih:
                user = u.decode("utf-8")
                if wanted is None or user in wanted:
                    users.append(user)
                    items.append(i.decode("utf-8"))
    return users, items
