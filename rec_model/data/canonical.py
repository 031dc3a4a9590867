"""The canonical data folder: `interactions.csv` and `items.csv`, read with quarantine.

`interactions.csv` has the columns `user_id,item_id` and optionally `timestamp` and
`rating` (any order; other columns are ignored, and `recsys data prepare` / `validate` name
them). Without a timestamp column every row is at `UNKNOWN_TIMESTAMP`: nothing is ordered by
time, and the time split holds out a seeded random share of each user's rows instead.
`items.csv` has `item_id,title` and optionally
`genres`, `description` and any other text columns, which all go into `Item.text`.
Ids are strings (surrounding whitespace stripped). Timestamps are unix seconds, or
ISO-8601 converted to unix seconds (a time without zone is UTC).

A malformed row never stops a read and is never dropped silently: it comes back as a
`Quarantined` record with file, line and reason (`"kind: detail"`, kinds `ERR_*` here
and in `csv_records`). A header without a required column is a `ValueError`.
"""

import dataclasses
import datetime
import hashlib
import json
import math
from collections.abc import Callable, Iterator
from typing import Optional

import numpy as np

from rec_model import features as F
from rec_model.data import csv_records
from rec_model.data.csv_records import count_data_lines  # noqa: F401  (re-exported)

ERR_FIELD_COUNT = "field_count"
ERR_EMPTY_ID = "empty_id"
ERR_TIMESTAMP = "bad_timestamp"
ERR_RATING = "bad_rating"
ERR_REPEATED_HEADER = "repeated_header"

MIN_TIMESTAMP = 0  # 1970-01-01 UTC.
UNKNOWN_TIMESTAMP = MIN_TIMESTAMP  # the time of every row of a file without timestamps
MAX_TIMESTAMP = 4_102_444_800  # 2100-01-01 UTC (exclusive).
INTERACTIONS_EXAMPLE = ",".join(F.INTERACTION_COLUMNS)
ITEMS_EXAMPLE = "item_id,title,genres,description"
TEXT_SEPARATOR = ". "


@dataclasses.dataclass(frozen=True)
class Interaction:
    """One user-item event. `timestamp` is unix seconds; `rating` None when absent."""

    user_id: str
    item_id: str
    timestamp: int
    rating: float | None = None


@dataclasses.dataclass(frozen=True)
class Item:
    """One catalogue item; `text` joins title, genres, description and other columns."""

    item_id: str
    title: str
    text: str


@dataclasses.dataclass(frozen=True)
class Quarantined:
    """A malformed row: file, 1-based line where it starts, reason and raw text (<= 1000 chars)."""

    file: str
    line: int
    reason: str
    raw: str

    @property
    def kind(self) -> str:
        """The reason's kind, e.g. `"bad_timestamp"`."""
        return self.reason.split(":", 1)[0]

    def to_json(self) -> str:
        """One JSON line (no trailing newline)."""
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> "Quarantined":
        """Inverse of `to_json`."""
        return cls(**json.loads(line))


def tie_key(user_id: str, item_id: str, seed: int) -> int:
    """Order of one user's interactions at the same time (time splits hold out the last):
    a seeded 64-bit blake2b of the ids, so ties never fall to item id or file order."""
    key = f"{seed}\x1f{user_id}\x1f{item_id}"
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


def tie_order(same: np.ndarray, ids_of: Callable, seed: int) -> Optional[np.ndarray]:
    """The permutation of rows sorted by user and time that puts each run of one user's rows
    at one time in `tie_key` order, or None when no two rows tie. Only tied rows are hashed:
    data with timestamps has few, data without has only ties.

    Args:
        same: [rows] bool, True where a row has the user and time of the row before.
        ids_of: [m] row positions -> (user ids, item ids) of those rows, as sequences.
        seed: seed of `tie_key`.
    """
    tied = np.flatnonzero(same | np.append(same[1:], False))
    if not tied.size:
        return None
    keys = np.zeros(same.size, dtype=np.uint64)
    users, items = ids_of(tied)
    keys[tied] = np.fromiter((tie_key(u, i, seed) for u, i in zip(users, items)),
                             dtype=np.uint64, count=tied.size)
    return np.lexsort((keys, np.cumsum(~same)))


def parse_timestamp(text: str) -> int:
    """Unix seconds from unix seconds (int or float text) or ISO-8601.

    Raises:
        ValueError: With a reason that says what is accepted.
    """
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text[:40]!r} is neither unix seconds nor ISO-8601 "
                             "(e.g. 881250949 or 1997-12-04T15:55:49Z)") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        value = moment.timestamp()
    if not math.isfinite(value) or not MIN_TIMESTAMP <= value < MAX_TIMESTAMP:
        hint = "; it looks like milliseconds: divide by 1000" if 1e12 <= abs(value) < 1e15 else ""
        raise ValueError(f"{text[:40]!r} is outside 1970..2100 in unix seconds{hint}")
    return int(value)


def parse_rating(text: str) -> float | None:
    """A finite float, or None for an empty field.

    Raises:
        ValueError: Text, NaN or infinity.
    """
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not finite")
    return value


def _row_problem(path: str, record, header: list[str]) -> Quarantined | None:
    """Checks shared by both files: unreadable record, field count, repeated header."""
    if record.error:
        return Quarantined(path, record.line, record.error, record.raw)
    if len(record.fields) != len(header):
        return Quarantined(path, record.line, f"{ERR_FIELD_COUNT}: expected {len(header)} fields "
                           f"({','.join(header)}), found {len(record.fields)}", record.raw)
    fields = record.fields
    first = fields[0].lstrip("\ufeff")  # a concatenated file's header keeps its BOM
    if (first.strip().lower() == header[0]
            and csv_records.normalise_header([first, *fields[1:]]) == header):
        return Quarantined(path, record.line, f"{ERR_REPEATED_HEADER}: the header line appears "
                           "again mid-file (files concatenated?)", record.raw)
    return None


def interaction_columns(path: str, header: list[str]) -> tuple:
    """(user, item, timestamp or None, rating or None) positions in an interactions header
    (the order of `F.INTERACTION_COLUMNS`).

    Raises:
        ValueError: `user_id` or `item_id` missing (names the file and the fix).
    """
    index = csv_records.column_index(path, header, F.INTERACTION_REQUIRED_COLUMNS,
                                     INTERACTIONS_EXAMPLE)
    return tuple(index.get(name) for name in F.INTERACTION_COLUMNS)


def check_interaction(path: str, record, header: list[str],
                      cols: tuple) -> Interaction | Quarantined:
    """Full checks of one interaction record (`cols`: `interaction_columns`), with the
    reason when it is bad."""
    bad = _row_problem(path, record, header)
    if bad is not None:
        return bad
    i_user, i_item, i_time, i_rating = cols
    fields = record.fields
    user, item = fields[i_user].strip(), fields[i_item].strip()
    try:
        if not user or not item:
            raise ValueError(f"{ERR_EMPTY_ID}: {F.USER_ID if not user else F.ITEM_ID} is empty")
        try:
            timestamp = (UNKNOWN_TIMESTAMP if i_time is None
                         else parse_timestamp(fields[i_time]))
        except ValueError as e:
            raise ValueError(f"{ERR_TIMESTAMP}: {e}") from None
        try:
            rating = None if i_rating is None else parse_rating(fields[i_rating])
        except ValueError as e:
            raise ValueError(f"{ERR_RATING}: {e}") from None
    except ValueError as e:
        return Quarantined(path, record.line, str(e), record.raw)
    return Interaction(user, item, timestamp, rating)


def iter_interaction_records(path: str) -> Iterator[tuple[int, str, Interaction | Quarantined]]:
    """Like `iter_interactions`, yielding `(line, raw text, result)` for each record."""
    records = csv_records.iter_records(path)
    header = csv_records.split_header(path, records)
    cols = interaction_columns(path, header)
    i_user, i_item, i_time, i_rating = cols
    n_cols, first = len(header), header[0]
    isfinite = math.isfinite
    unknown = str(UNKNOWN_TIMESTAMP)
    for record in records:
        line, fields, raw, error = record
        # Fast path for the common clean row; anything unusual goes through `_interaction`.
        if error is None and len(fields) == n_cols and fields[0].strip().lower() != first:
            user, item = fields[i_user].strip(), fields[i_item].strip()
            ts = unknown if i_time is None else fields[i_time]
            # isdigit() alone also accepts digits such as '²' that int() rejects.
            if (user and item and ts.isascii() and ts.isdigit()
                    and MIN_TIMESTAMP <= (timestamp := int(ts)) < MAX_TIMESTAMP):
                if i_rating is None:
                    yield line, raw, Interaction(user, item, timestamp, None)
                    continue
                text = fields[i_rating]
                try:
                    rating = float(text) if text else None
                except ValueError:
                    pass
                else:
                    if rating is None or isfinite(rating):
                        yield line, raw, Interaction(user, item, timestamp, rating)
                        continue
        yield line, raw, check_interaction(path, record, header, cols)


def iter_interactions(path: str) -> Iterator[Interaction | Quarantined]:
    """Streams `interactions.csv`; memory is O(1) in the file size.

    Args:
        path: An interactions CSV file (see the module docstring).

    Yields:
        An `Interaction` per good row, a `Quarantined` per malformed one, in file order.

    Raises:
        ValueError: Empty file, unreadable header or a missing required column.
    """
    for _, _, result in iter_interaction_records(path):
        yield result


def item_text(row: dict[str, str]) -> str:
    """Title, genres (`|` -> `, `), description, then other columns, joined by `". "`."""
    ordered = [F.TITLE, F.GENRES, F.DESCRIPTION] + [
        c for c in row if c not in (F.ITEM_ID, F.TITLE, F.GENRES, F.DESCRIPTION)]
    text = ""
    for column in ordered:
        value = (row.get(column) or "").strip()
        if column == F.GENRES:
            value = ", ".join(g.strip() for g in value.split("|") if g.strip())
        if not value:
            continue
        if text:
            text += " " if text[-1] in ".!?" else TEXT_SEPARATOR
        text += value
    return text


def read_item_rows(
    path: str
) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[Quarantined]]:
    """Reads `items.csv` into `(header, [(line, {column: value})], quarantined)`.

    Values are as in the file except `item_id`, which is stripped.

    Raises:
        ValueError: Missing required column, or duplicate item ids (first few named, with lines).
    """
    records = csv_records.iter_records(path)
    header = csv_records.split_header(path, records)
    csv_records.column_index(path, header, F.ITEM_REQUIRED_COLUMNS, ITEMS_EXAMPLE)
    rows: list[tuple[int, dict[str, str]]] = []
    quarantined: list[Quarantined] = []
    first_line: dict[str, int] = {}
    duplicates: list[str] = []
    for record in records:
        bad = _row_problem(path, record, header)
        if bad is None:
            row = dict(zip(header, record.fields))
            row[F.ITEM_ID] = row[F.ITEM_ID].strip()
            if not row[F.ITEM_ID]:
                bad = Quarantined(path, record.line, f"{ERR_EMPTY_ID}: item_id is empty",
                                  record.raw)
            else:
                item_id = row[F.ITEM_ID]
                if item_id in first_line:
                    duplicates.append(
                        f"{item_id!r} (lines {first_line[item_id]} and {record.line})")
                else:
                    first_line[item_id] = record.line
                rows.append((record.line, row))
                continue
        quarantined.append(bad)
    if duplicates:
        raise ValueError(f"{path}: {len(duplicates)} duplicate item_id(s): "
                         f"{', '.join(duplicates[:5])}"
                         f"{' ...' if len(duplicates) > 5 else ''}; keep one row per item_id")
    return header, rows, quarantined


def read_items(path: str) -> tuple[list[Item], list[Quarantined]]:
    """Reads `items.csv`.

    Args:
        path: An items CSV file (see the module docstring).

    Returns:
        `(items in file order, quarantined rows)`.

    Raises:
        ValueError: Empty file, missing required column, or duplicate item ids.
    """
    _, rows, quarantined = read_item_rows(path)
    items = [Item(row[F.ITEM_ID], row[F.TITLE].strip(), item_text(row)) for _, row in rows]
    return items, quarantined
