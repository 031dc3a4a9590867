"""Feedback capture: an append-only JSON-lines log of served recommendations.

Each served `recommend`-like response (a signature with a `user_id` input or tf.Example
feature and an `item_ids` output) becomes one line:

    {"request_id": "5f0c...", "time": 1795808478.1, "model": "recsys", "version": 3,
     "signature": "recommend", "user_ids": ["u1"], "item_ids": [["i4", ...]],
     "scores": [[0.93, ...]]}

The request id is returned to the client (gRPC trailing metadata `x-request-id`, REST
response field `"request_id"`) so feedback (clicks, ratings) can later be joined to exactly
what was shown. Off by default; `--request_log_dir DIR` turns it on.

Files are `DIR/requests-<UTC start>-<pid>-<n>.jsonl`; a file is rotated once it exceeds
`max_bytes`. Durability (`fsync` policy):
- "rotate" (default): every line is written to the OS (one `os.write`, serving/jsonl_log.py)
  before the response is sent, so a
  server crash loses nothing; a machine crash may lose the lines since the last rotation;
- "always": `os.fsync` after every line (survives power loss; costs a disk sync per request);
- "never": flush only, never fsync (the OS writes back when it likes).
Any object with `log(record: dict) -> None` and `close()` can replace `RequestLogger`.
"""

import uuid

from serving.jsonl_log import FSYNC_POLICIES, JsonLinesLog  # noqa: F401  (re-exported)

REQUEST_GLOB = "requests-*.jsonl"


def new_request_id() -> str:
    """A random 32-hex-digit request id."""
    return uuid.uuid4().hex


class RequestLogger(JsonLinesLog):
    """Served recommendations in `DIR/requests-*.jsonl` (one file per server start).

    Args:
        directory: folder for the log files (created).
        max_bytes: rotate the current file once it is larger than this.
        fsync: "rotate" (default), "always" or "never" (see the module docstring).
    """

    def __init__(self, directory, max_bytes: int = 64 << 20, fsync: str = "rotate"):
        super().__init__(directory, "requests", max_bytes, fsync)

    def log(self, record: dict) -> None:
        """Appends one record (must be JSON-serialisable) as one line."""
        self.append(record)


def read_request_log(directory, stats: dict | None = None):
    """Yields every complete record of every log file in `directory`, oldest file first.

    A line torn by a crash mid-write (a last line without "\\n", or a line that is not a JSON
    object) is skipped, never returned half; `stats["corrupt"]` (when `stats` is given)
    counts the skipped lines.
    """
    from serving.feedback_log import log_files, read_lines_from

    if stats is not None:
        stats.setdefault("corrupt", 0)
    for path in log_files(directory, REQUEST_GLOB):
        records, end, corrupt = read_lines_from(path)
        if stats is not None:
            stats["corrupt"] += corrupt + (path.stat().st_size > end)  # + a torn last line
        yield from records
