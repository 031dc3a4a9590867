"""Item texts to embed, read from a canonical `items.csv` with bad input counted.

- A row whose text is empty is embedded by its title, or by its id when the title is empty
  too (`empty_text`).
- A row with bytes that are not UTF-8 (quarantined by `rec_model.data.canonical`) is recovered
  with the bad bytes replaced by U+FFFD when its fields still line up with the header
  (`replaced_undecodable`); otherwise it stays quarantined.
- Every other malformed row is quarantined (`quarantined`) and gets no embedding.
Duplicate item ids raise `ValueError` (from the canonical reader).
"""

from __future__ import annotations

import csv
import dataclasses

from rec_model import features as F
from rec_model.data import canonical, csv_records

EMPTY_TEXT = "empty_text"
REPLACED_UNDECODABLE = "replaced_undecodable"
QUARANTINED = "quarantined"
TRUNCATED = "truncated"  # Filled in by the embedder (token count > sequence_length).
COUNT_KEYS = (EMPTY_TEXT, REPLACED_UNDECODABLE, QUARANTINED, TRUNCATED)


@dataclasses.dataclass
class ItemTexts:
    """Texts of a catalogue, in file order.

    Attributes:
        item_ids: [items] unique ids.
        texts: [items] the text to embed for each id (never empty).
        counts: bad-input counters, keys `COUNT_KEYS` (`truncated` is 0 until embedded).
        quarantined: rows that got no embedding, with file, line and reason.
    """

    item_ids: list[str]
    texts: list[str]
    counts: dict[str, int]
    quarantined: list[canonical.Quarantined]


def _recover_undecodable(header: list[str], bad: canonical.Quarantined) -> dict[str, str] | None:
    """The row of an `invalid_utf8` record, decoded with replacement, if it still parses."""
    if bad.kind != csv_records.ERR_UTF8 or len(bad.raw) >= csv_records.RAW_CHARS:
        return None  # Other problems, or the raw text was cut short.
    try:
        fields = next(csv.reader([bad.raw]))
    except (csv.Error, StopIteration):
        return None
    if len(fields) != len(header):
        return None
    row = dict(zip(header, fields))
    row[F.ITEM_ID] = row[F.ITEM_ID].strip()
    return row if row[F.ITEM_ID] else None


def load_item_texts(items_path: str) -> ItemTexts:
    """Reads `items.csv` into the texts to embed.

    Args:
        items_path: a canonical items CSV (`item_id,title[,genres,description,...]`).

    Returns:
        `ItemTexts` in file order (recovered rows at their line's position).

    Raises:
        ValueError: empty file, missing `item_id`/`title` column, or duplicate ids.
    """
    header, rows, quarantined = canonical.read_item_rows(items_path)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    seen = {row[F.ITEM_ID] for _, row in rows}
    still_bad = []
    recovered = []
    for bad in quarantined:
        row = _recover_undecodable(header, bad)
        if row is None or row[F.ITEM_ID] in seen:
            still_bad.append(bad)
            continue
        seen.add(row[F.ITEM_ID])
        recovered.append((bad.line, row))
        counts[REPLACED_UNDECODABLE] += 1
    counts[QUARANTINED] = len(still_bad)

    item_ids, texts = [], []
    for _, row in sorted(rows + recovered, key=lambda pair: pair[0]):
        text = canonical.item_text(row).strip()
        if not text:
            counts[EMPTY_TEXT] += 1
            text = (row.get(F.TITLE) or "").strip() or row[F.ITEM_ID]
        item_ids.append(row[F.ITEM_ID])
        texts.append(text)
    return ItemTexts(item_ids, texts, counts, still_bad)
