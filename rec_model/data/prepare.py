"""Validate and normalise a user's canonical folder (`interactions.csv` + `items.csv`).

`prepare_csv` writes the normalised folder: `items.csv` with the columns
`item_id,title[,genres][,description][,other...]`, `interactions.csv` with
`user_id,item_id,timestamp[,rating]` (timestamps as unix seconds; `canonical.UNKNOWN_TIMESTAMP`
for an input without them), and
`quarantine.jsonl` with one `Quarantined.to_json()` line per malformed row.
An interaction whose item is not in `items.csv` is quarantined as `unknown_item`.
`validate_folder` does the same checks without writing anything. Columns of
`interactions.csv` that are not read are named in the result (`ignored_columns`).
"""

import collections
import csv
import os
from collections.abc import Iterable

from rec_model import features as F
from rec_model.data.canonical import (Interaction, Quarantined, iter_interaction_records,
                                      read_item_rows)
from rec_model.data.csv_records import read_header

QUARANTINE_FILE = "quarantine.jsonl"
ERR_UNKNOWN_ITEM = "unknown_item"
_ITEM_LEADING = (F.ITEM_ID, F.TITLE, F.GENRES, F.DESCRIPTION)


def format_rating(rating: float | None) -> str:
    """`3.0` -> `"3"`, `3.5` -> `"3.5"`, None -> `""`."""
    if rating is None:
        return ""
    return str(int(rating)) if rating.is_integer() else repr(rating)


def write_items_csv(path: str, header: list[str], rows: Iterable[dict[str, str]]) -> int:
    """Writes items in the canonical column order; returns the number of rows written."""
    columns = ([c for c in _ITEM_LEADING if c in header]
               + [c for c in header if c not in _ITEM_LEADING])
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
            n += 1
    return n


def unread_columns(interactions_header: list[str]) -> list[str]:
    """The columns of an interactions header that no reader reads: a play-count column would
    otherwise vanish without a word."""
    return [c for c in interactions_header if c not in F.INTERACTION_COLUMNS]


def unread_columns_note(columns: list[str]) -> str:
    """What to tell a user whose interactions file has `columns` that are not read."""
    return (f"{', '.join(columns)} not read (only {', '.join(F.INTERACTION_COLUMNS)} are; "
            f"name an interaction weight, such as play counts, {F.RATING!r})")


def _interaction_columns(with_rating: bool) -> list[str]:
    return [c for c in F.INTERACTION_COLUMNS if with_rating or c != F.RATING]


def _folder_paths(input_dir: str) -> tuple[str, str]:
    paths = os.path.join(input_dir, F.INTERACTIONS_FILE), os.path.join(input_dir, F.ITEMS_FILE)
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{path} not found: a canonical folder holds {F.INTERACTIONS_FILE} and "
                f"{F.ITEMS_FILE} (see rec_model/data/canonical.py); "
                "for raw MovieLens use `--source movielens-100k`")
    return paths


def _scan(input_dir: str, out_dir: str | None, examples: int = 3) -> dict:
    """Reads (and, with `out_dir`, writes) the folder; returns counts and a reason summary."""
    inter_path, items_path = _folder_paths(input_dir)
    inter_header = read_header(inter_path)
    header, item_rows, item_bad = read_item_rows(items_path)
    known = {row[F.ITEM_ID] for _, row in item_rows}
    reasons: collections.Counter = collections.Counter()
    samples: dict[str, list[str]] = collections.defaultdict(list)
    counts = {"items": {"rows_read": len(item_rows) + len(item_bad), "rows_written": 0,
                             "quarantined": len(item_bad)},
              "interactions": {"rows_read": 0, "rows_written": 0, "quarantined": 0}}
    ignored = unread_columns(inter_header)
    if ignored:
        counts["ignored_columns"] = f"{inter_path}: {unread_columns_note(ignored)}"
    qfile = inter_out = writer = None
    try:
        if out_dir is not None:
            os.makedirs(out_dir, exist_ok=True)
            counts["items"]["rows_written"] = write_items_csv(
                os.path.join(out_dir, F.ITEMS_FILE), header, (row for _, row in item_rows))
            qfile = open(os.path.join(out_dir, QUARANTINE_FILE), "w", encoding="utf-8")
            with_rating = F.RATING in inter_header
            inter_out = open(os.path.join(out_dir, F.INTERACTIONS_FILE), "w", encoding="utf-8",
                             newline="")
            writer = csv.writer(inter_out, lineterminator="\n")
            writer.writerow(_interaction_columns(with_rating))

        def quarantine(q: Quarantined) -> None:
            reasons[(os.path.basename(q.file), q.kind)] += 1
            if len(samples[q.kind]) < examples:
                samples[q.kind].append(f"{q.file}:{q.line}: {q.reason}")
            if qfile is not None:
                qfile.write(q.to_json() + "\n")

        for q in item_bad:
            quarantine(q)
        inter = counts["interactions"]
        for line, raw, result in iter_interaction_records(inter_path):
            inter["rows_read"] += 1
            if isinstance(result, Interaction) and result.item_id not in known:
                result = Quarantined(inter_path, line,
                                     f"{ERR_UNKNOWN_ITEM}: item_id {result.item_id!r} "
                                     f"is not in {F.ITEMS_FILE}; add the item or drop the row",
                                     raw)
            if isinstance(result, Quarantined):
                inter["quarantined"] += 1
                quarantine(result)
                continue
            if writer is not None:
                row = [result.user_id, result.item_id, result.timestamp]
                writer.writerow(row + [format_rating(result.rating)] if with_rating else row)
                inter["rows_written"] += 1
    finally:
        for fh in (qfile, inter_out):
            if fh is not None:
                fh.close()
    summary = {f"{file}/{kind}": n for (file, kind), n in sorted(reasons.items())}
    return {**counts, "quarantine_reasons": summary, "quarantine_examples": dict(samples)}


def prepare_csv(input_dir: str, out_dir: str) -> dict:
    """Validates and normalises a canonical folder into `out_dir`.

    Args:
        input_dir: Folder with `interactions.csv` and `items.csv`.
        out_dir: Output folder (created); must differ from `input_dir`.

    Returns:
        `{"interactions": {"rows_read", "rows_written", "quarantined"}, "items": {...},
        "quarantine_path": str, "quarantine_reasons": {"file/kind": n},
        "quarantine_examples": {kind: ["file:line: reason", ...]}}`, and
        `"ignored_columns": str` when `interactions.csv` has columns that are not read.

    Raises:
        FileNotFoundError: A file of the folder is missing.
        ValueError: Missing required column or duplicate item ids; or `out_dir` is `input_dir`.
    """
    if os.path.abspath(input_dir) == os.path.abspath(out_dir):
        raise ValueError(f"--out {out_dir} is the input folder; choose another folder so the "
                         "input is not overwritten while it is read")
    counts = _scan(input_dir, out_dir)
    counts["quarantine_path"] = os.path.join(out_dir, QUARANTINE_FILE)
    return counts


def validate_folder(input_dir: str) -> dict:
    """Checks a canonical folder without writing; same result as `prepare_csv` (rows_written 0)."""
    return _scan(input_dir, None)
