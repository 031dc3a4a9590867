"""`interactions.csv` read in columnar batches, for bulk ingest (Beam's example_gen).

Same rows, checks and quarantine reasons as `canonical.iter_interactions`, but good rows come
as four parallel lists per batch instead of one `Interaction` object each: at 20M rows the
per-row object, generator step and line-number bookkeeping cost more than the checks.
"""

import dataclasses
import itertools
import math
from collections.abc import Iterator

from rec_model.data import canonical, csv_records
from rec_model.data.canonical import Interaction, Quarantined

DEFAULT_BATCH_ROWS = 65536


@dataclasses.dataclass
class InteractionBatch:
    """Good rows of a stretch of a file as columns, plus that stretch's malformed rows.

    Attributes:
        user_ids, item_ids: [rows] stripped ids.
        timestamps: [rows] unix seconds.
        ratings: [rows] the rating, or None where the file has none.
        quarantined: malformed rows of the same stretch, in file order.
    """

    user_ids: list[str] = dataclasses.field(default_factory=list)
    item_ids: list[str] = dataclasses.field(default_factory=list)
    timestamps: list[int] = dataclasses.field(default_factory=list)
    ratings: list[float | None] = dataclasses.field(default_factory=list)
    quarantined: list[Quarantined] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.user_ids)

    def add(self, record: Interaction) -> None:
        """Appends one good row."""
        self.user_ids.append(record.user_id)
        self.item_ids.append(record.item_id)
        self.timestamps.append(record.timestamp)
        self.ratings.append(record.rating)


class _Checker:
    """The slow path: one record through `canonical.check_interaction`."""

    def __init__(self, path: str, header: list[str], cols: tuple):
        self.path, self.header, self.cols = path, header, cols

    def __call__(self, record: csv_records.Record, batch: InteractionBatch) -> None:
        result = canonical.check_interaction(self.path, record, self.header, self.cols)
        if isinstance(result, Quarantined):
            batch.quarantined.append(result)
        else:
            batch.add(result)


def iter_interaction_batches(path: str, batch_rows: int = DEFAULT_BATCH_ROWS,
                             block_bytes: int = csv_records.MAX_FIELD_BYTES
                             ) -> Iterator[InteractionBatch]:
    """Streams `interactions.csv` in batches; memory is O(batch_rows).

    Args:
        path: An interactions CSV file (see `canonical`).
        batch_rows: Good rows per batch (a batch may hold a few more malformed ones).
        block_bytes: Read buffer (see `csv_records.iter_blocks`).

    Yields:
        `InteractionBatch`es in file order; good + quarantined rows over all batches = the
        file's non-blank records after the header.

    Raises:
        ValueError: Empty file, unreadable header or a missing required column.
    """
    header, blocks = _header_and_rest(path, csv_records.iter_blocks(path, block_bytes))
    cols = canonical.interaction_columns(path, header)
    i_user, i_item, i_time, i_rating = cols
    n_cols, first, unknown = len(header), header[0], str(canonical.UNKNOWN_TIMESTAMP)
    check = _Checker(path, header, cols)
    lo, hi, isfinite = canonical.MIN_TIMESTAMP, canonical.MAX_TIMESTAMP, math.isfinite
    blank = csv_records.ASCII_WHITESPACE
    Record = csv_records.Record
    batch = InteractionBatch()
    users, items, stamps, ratings = batch.user_ids, batch.item_ids, batch.timestamps, batch.ratings
    for block in blocks:
        if isinstance(block, Record):
            check(block, batch)
            lines, start = (), 0
        else:
            lines, start = block.lines, block.start
        for offset, line in enumerate(lines):
            fields = line.split(",")
            # Fast path for the common clean row; anything unusual is checked in full. A row
            # whose timestamp is digits cannot be a repeated header, so that check is skipped
            # (without a timestamp column, a row starting with the header's first name is
            # given none and so goes the slow way).
            if len(fields) == n_cols:
                user, item = fields[i_user].strip(), fields[i_item].strip()
                ts = (fields[i_time] if i_time is not None
                      else "" if fields[0].strip().lower() == first else unknown)
                if (user and item and ts.isascii() and ts.isdigit()
                        and lo <= (stamp := int(ts)) < hi):
                    rating = None
                    if i_rating is not None and (text := fields[i_rating]):
                        try:
                            rating = float(text)
                        except ValueError:
                            rating = math.nan
                    if rating is None or isfinite(rating):
                        users.append(user)
                        items.append(item)
                        stamps.append(stamp)
                        ratings.append(rating)
                        continue
            if line.strip(blank):
                check(Record(start + offset, fields, line[: csv_records.RAW_CHARS]), batch)
        if len(users) >= batch_rows:
            yield batch
            batch = InteractionBatch()
            users, items, stamps, ratings = (batch.user_ids, batch.item_ids, batch.timestamps,
                                             batch.ratings)
    if len(batch) or batch.quarantined:
        yield batch


def _header_and_rest(path: str, blocks) -> tuple[list[str], Iterator]:
    """Splits the header record off `blocks`; returns (column names, the remaining blocks)."""
    for block in blocks:
        if isinstance(block, csv_records.Record):
            first, rest = block, []
        else:
            lines = block.lines
            blank = csv_records.ASCII_WHITESPACE
            i = next((i for i, text in enumerate(lines) if text.strip(blank)), None)
            if i is None:
                continue
            first = csv_records.Record(block.start + i, lines[i].split(","),
                                       lines[i][: csv_records.RAW_CHARS])
            rest = [csv_records.LineBlock(block.start + i + 1, lines[i + 1:])]
        return csv_records.split_header(path, iter([first])), itertools.chain(rest, blocks)
    return csv_records.split_header(path, iter(())), iter(())  # Raises: the file is empty.
