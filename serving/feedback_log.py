"""Feedback capture: append-only, size-rotated JSON-lines logs of clicks and ratings.

One record per line, joined later to the served request (serving/request_log.py) by
`request_id`:

    {"request_id": "5f0c...", "user_id": "196", "item_id": "242", "event": "click",
     "value": 1.0, "time": 1795808478.1}

Crash safety:
- every record is written with ONE `os.write` on an `O_APPEND` descriptor, so concurrent
  writers (threads or processes) never interleave inside a line;
- a restart never rewrites old data: a `FeedbackLog` appends to the newest file
  `DIR/feedback-<UTC start>-<pid>-<n>.jsonl` while it is under `max_bytes` (first ending
  a line torn by an earlier crash with "\\n", so the torn record stays one skipped line),
  and rotates to a new file once the current one exceeds `max_bytes`;
- readers (`read_feedback`, `read_new_records`) only return complete lines (ending in
  "\\n") that parse as JSON objects, so a line torn by a crash mid-write is skipped, never
  read back half; `read_new_records` also never advances its offset past a torn tail.

`fsync` policy: "always" (default; `os.fsync` after every record, survives power loss),
"rotate" (fsync when a file is closed or rotated; a server crash loses nothing, a machine
crash may lose the records of the current file not yet written back), "never".

`record_feedback(log, payload)` is the logic of the REST endpoint `POST /v1/feedback`:
it validates a JSON body and appends it.
"""

import json
import math
import pathlib
import time
from typing import Dict, Iterator, List, Optional, Tuple

from serving.jsonl_log import FSYNC_POLICIES, JsonLinesLog  # noqa: F401  (re-exported)

FILE_GLOB = "feedback-*.jsonl"
EVENTS = ("click", "rating", "purchase", "dismiss", "impression")
MAX_ID_LENGTH = 256
FIELDS = ("request_id", "user_id", "item_id", "event", "value", "time")


class FeedbackError(ValueError):
    """A feedback payload failed validation (maps to HTTP 400 / INVALID_ARGUMENT)."""


def _check_id(payload: dict, name: str, required: bool = True) -> Optional[str]:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise FeedbackError(f"{name} is required, e.g. {{\"{name}\": \"196\"}}")
        return None
    if isinstance(value, (int,)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FeedbackError(f"{name} must be a string, got {type(value).__name__}")
    value = value.strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800" cannot be logged
        raise FeedbackError(f"{name} must be valid Unicode text, got {value[:40]!r}") from None
    if not value or len(value) > MAX_ID_LENGTH or any(c in value for c in "\n\r\x00"):
        raise FeedbackError(f"{name} must be 1..{MAX_ID_LENGTH} characters without newlines, "
                            f"got {value[:40]!r}")
    return value


def validate_feedback(payload: dict, now: Optional[float] = None) -> dict:
    """Checks a feedback payload and returns the normalised record.

    Args:
        payload: `{"request_id", "user_id", "item_id", "event"?, "value"?, "time"?}`;
            `event` defaults to "click", `value` to 1, `time` to now (unix seconds).
        now: the time to use when the payload has none.

    Returns:
        A record with exactly the keys `FIELDS`.

    Raises:
        FeedbackError: a missing or malformed field (the message says which and how to fix).
    """
    if not isinstance(payload, dict):
        raise FeedbackError("feedback must be a JSON object with request_id, user_id and item_id")
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        raise FeedbackError(f"unknown field(s) {unknown}; allowed: {list(FIELDS)}")
    event = payload.get("event", "click")
    if event not in EVENTS:
        raise FeedbackError(f"event must be one of {EVENTS}, got {event!r}")
    value = payload.get("value", 1)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FeedbackError(f"value must be a finite number, got {value!r}")
    moment = payload.get("time")
    if moment is None:
        moment = time.time() if now is None else now
    if (isinstance(moment, bool) or not isinstance(moment, (int, float))
            or not 0 <= moment < 4_102_444_800):
        raise FeedbackError(f"time must be unix seconds in 1970..2100, got {moment!r}")
    return {
        "request_id": _check_id(payload, "request_id"),
        "user_id": _check_id(payload, "user_id"),
        "item_id": _check_id(payload, "item_id"),
        "event": event,
        "value": float(value),
        "time": float(moment),
    }


class FeedbackLog(JsonLinesLog):
    """Feedback records in `DIR/feedback-*.jsonl`; a restart appends to the newest file.

    Args:
        directory: folder of the log files (created).
        max_bytes: rotate to a new file once the current one is at least this large.
        fsync: "always" (default), "rotate" or "never" (see the module docstring).
    """

    def __init__(self, directory, max_bytes: int = 64 << 20, fsync: str = "always"):
        super().__init__(directory, "feedback", max_bytes, fsync, reuse_last=True)


def record_feedback(log: FeedbackLog, payload: dict, now: Optional[float] = None) -> dict:
    """Handler logic of `POST /v1/feedback`: validate, append, answer.

    Args:
        log: where to append.
        payload: the decoded JSON body (see `validate_feedback`).
        now: the time used when the payload has none.

    Returns:
        `{"status": "ok", "record": <stored record>}`.

    Raises:
        FeedbackError: invalid payload (answer HTTP 400 with its message).
    """
    record = validate_feedback(payload, now=now)
    log.append(record)
    return {"status": "ok", "record": record}


def read_lines_from(path, offset: int = 0) -> Tuple[List[dict], int, int]:
    """Complete JSON-object lines of `path` from byte `offset`.

    Returns:
        (records, next offset, number of corrupt complete lines skipped). The next offset is
        just past the last complete line, so a torn tail is re-read once it is completed
        (and skipped for good once a later newline makes it a complete, corrupt line).
    """
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1  # 0 when there is no complete line.
    records, corrupt = [], 0
    for line in data[:end].split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            corrupt += 1
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            corrupt += 1
    return records, offset + end, corrupt


def log_files(directory, pattern: str = FILE_GLOB) -> List[pathlib.Path]:
    """Log files of `directory` matching `pattern`, oldest first (names sort by start time)."""
    directory = pathlib.Path(directory)
    return sorted(directory.glob(pattern)) if directory.is_dir() else []


def read_new_records(
    directory, offsets: Dict[str, int], pattern: str = FILE_GLOB
) -> Tuple[List[dict], Dict[str, int], int]:
    """Records appended to the logs of `directory` since `offsets`.

    Args:
        directory: a log folder.
        offsets: file name -> byte offset already processed (missing = 0).
        pattern: glob of the log files.

    Returns:
        (new records, offsets after them (a new dict), corrupt lines skipped).
    """
    new_offsets, records, corrupt = dict(offsets), [], 0
    for path in log_files(directory, pattern):
        start = int(offsets.get(path.name, 0))
        if path.stat().st_size <= start:
            continue
        got, end, bad = read_lines_from(path, start)
        records.extend(got)
        corrupt += bad
        new_offsets[path.name] = end
    return records, new_offsets, corrupt


def read_feedback(directory) -> Iterator[dict]:
    """Every complete feedback record of `directory`, oldest file first."""
    for path in log_files(directory):
        records, _, _ = read_lines_from(path)
        yield from records
