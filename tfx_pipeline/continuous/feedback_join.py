"""Joins new feedback to the served requests: new interactions, online click-through rate.

A feedback record (serving/feedback_log.py) becomes an interaction when its event is one of
`INTERACTION_EVENTS` with a positive value and the request log (serving/request_log.py) shows
that `item_id` was served to `user_id` in request `request_id`. Other positive feedback whose
request or item cannot be found is "unmatched": counted and written next to the span file,
never silently dropped. Duplicates (same request, user, item, event) count once.

Click-through rate since the last run = positive clicks / recommended items served (sum of
every served user's list length) in the request-log lines appended since then.
"""

import csv
import dataclasses
import json
import os
import pathlib
import time
from typing import Dict, List, Optional, Set, Tuple

from rec_model import features as F
from serving import feedback_log

REQUEST_GLOB = "requests-*.jsonl"
INTERACTION_EVENTS = ("click", "rating", "purchase")
SPAN_FILE = F.FEEDBACK_SPAN_FILE


@dataclasses.dataclass
class FeedbackBatch:
    """What the logs hold since the given offsets.

    Attributes:
        interactions: (user_id, item_id, unix seconds, rating or None) rows, in feedback order.
        unmatched: positive feedback records that match no served request/item.
        clicks: positive click events (duplicates once).
        served_items: recommended items served.
        corrupt_lines: complete log lines that were not JSON objects (skipped).
        feedback_offsets / request_offsets: offsets just past what was read.
    """

    interactions: List[Tuple[str, str, int, Optional[float]]]
    unmatched: List[dict]
    clicks: int
    served_items: int
    corrupt_lines: int
    feedback_offsets: Dict[str, int]
    request_offsets: Dict[str, int]

    @property
    def ctr(self) -> Optional[float]:
        return self.clicks / self.served_items if self.served_items else None


def _served(record: dict) -> Dict[str, Set[str]]:
    """user id -> items served, of one request-log record."""
    users = record.get("user_ids") or []
    items = record.get("item_ids") or []
    return {str(u): {str(i) for i in row} for u, row in zip(users, items) if isinstance(row, list)}


def _index_requests(request_dir, wanted: Set[str], oldest_feedback: float,
                    window_s: float) -> Dict[str, dict]:
    """request id -> {user: items} for the wanted ids, scanning request files that may hold them
    (files last written before `oldest_feedback - window_s` are skipped)."""
    index: Dict[str, dict] = {}
    for path in feedback_log.log_files(request_dir, REQUEST_GLOB):
        if not wanted - set(index):
            break
        if path.stat().st_mtime < oldest_feedback - window_s:
            continue
        records, _, _ = feedback_log.read_lines_from(path)
        for record in records:
            rid = record.get("request_id")
            if rid in wanted:
                index.setdefault(rid, {}).update(_served(record))
    return index


def collect(feedback_dir, request_dir, feedback_offsets: Dict[str, int],
            request_offsets: Dict[str, int],
            join_window_hours: float = 24 * 7) -> FeedbackBatch:
    """Reads feedback and request logs appended since the offsets and joins them.

    Args:
        feedback_dir / request_dir: log folders.
        feedback_offsets / request_offsets: bytes already consumed per file.
        join_window_hours: feedback may arrive this long after its request.
    """
    feedback, new_feedback_offsets, bad_feedback = feedback_log.read_new_records(
        feedback_dir, feedback_offsets)
    requests, new_request_offsets, bad_requests = feedback_log.read_new_records(
        request_dir, request_offsets, REQUEST_GLOB)
    served_items = sum(len(items) for r in requests for items in _served(r).values())
    positive = [r for r in feedback
                if r.get("event") in INTERACTION_EVENTS and _positive(r.get("value", 1))]
    wanted = {r.get("request_id") for r in positive}
    oldest = min((float(r.get("time") or 0) for r in positive), default=time.time())
    index = (_index_requests(request_dir, wanted, oldest, join_window_hours * 3600)
             if positive else {})
    interactions, unmatched, seen, clicks = [], [], set(), 0
    for r in positive:
        key = (r.get("request_id"), r.get("user_id"), r.get("item_id"), r.get("event"))
        if key in seen:
            continue
        seen.add(key)
        clicks += r.get("event") == "click"
        if r.get("item_id") in index.get(r.get("request_id"), {}).get(r.get("user_id"), ()):
            rating = float(r["value"]) if r.get("event") == "rating" else None
            interactions.append((r["user_id"], r["item_id"],
                                 int(float(r.get("time") or time.time())), rating))
        else:
            unmatched.append(r)
    return FeedbackBatch(interactions, unmatched, clicks, served_items,
                         bad_feedback + bad_requests,
                         new_feedback_offsets, new_request_offsets)


def _positive(value) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


def existing_spans(data_dir) -> List[int]:
    """Span numbers of `interactions-span-<N>.csv` files already in `data_dir`."""
    spans = []
    for path in pathlib.Path(data_dir).glob(SPAN_FILE.format(span="*")):
        number = path.stem.rsplit("-", 1)[-1]
        if number.isascii() and number.isdigit():
            spans.append(int(number))
    return sorted(spans)


def write_span(data_dir, span: int, batch: FeedbackBatch, unmatched_dir) -> str:
    """Writes `<data_dir>/interactions-span-<span>.csv` (canonical format) atomically, replacing
    an earlier attempt's file of the same span, and
    `<unmatched_dir>/unmatched-feedback-span-<span>.jsonl` when some feedback matched nothing.
    Returns the CSV path."""
    path = os.path.join(data_dir, SPAN_FILE.format(span=span))
    # Not matched by example_gen's globs.
    tmp = os.path.join(data_dir, f".tmp-{os.getpid()}-span-{span}.csv")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(F.INTERACTION_COLUMNS)
        for user, item, timestamp, rating in batch.interactions:
            writer.writerow([user, item, timestamp, "" if rating is None else f"{rating:g}"])
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    os.makedirs(unmatched_dir, exist_ok=True)
    unmatched_path = os.path.join(unmatched_dir, f"unmatched-feedback-span-{span}.jsonl")
    if batch.unmatched:
        with open(unmatched_path, "w", encoding="utf-8") as f:
            for record in batch.unmatched:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif os.path.exists(unmatched_path):
        os.remove(unmatched_path)
    return path
