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
- "rotate" (default): every line is flushed to the OS before the response is sent, so a
  server crash loses nothing; a machine crash may lose the lines since the last rotation;
- "always": `os.fsync` after every line (survives power loss; costs a disk sync per request);
- "never": flush only, never fsync (the OS writes back when it likes).
Any object with `log(record: dict) -> None` and `close()` can replace `RequestLogger`.
"""

import json
import os
import pathlib
import threading
import time
import uuid

FSYNC_POLICIES = ("rotate", "always", "never")
REQUEST_GLOB = "requests-*.jsonl"


def new_request_id() -> str:
    """A random 32-hex-digit request id."""
    return uuid.uuid4().hex


class RequestLogger:
    """Thread-safe, size-rotated JSON-lines writer.

    Args:
        directory: folder for the log files (created).
        max_bytes: rotate the current file once it is larger than this.
        fsync: "rotate", "always" or "never" (see the module docstring).
    """

    def __init__(self, directory, max_bytes: int = 64 << 20, fsync: str = "rotate"):
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync policy {fsync!r} must be one of {FSYNC_POLICIES}")
        if max_bytes < 1024:
            raise ValueError(f"max_bytes must be at least 1024, got {max_bytes}")
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.fsync = max_bytes, fsync
        self._lock = threading.Lock()
        self._seq = 0
        self._file = None
        self._open()

    def _open(self):
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self._seq += 1
        self.path = self.directory / f"requests-{stamp}-{os.getpid()}-{self._seq:05d}.jsonl"
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open

    def _close_file(self):
        self._file.flush()
        if self.fsync != "never":
            os.fsync(self._file.fileno())
        self._file.close()

    def log(self, record: dict) -> None:
        """Appends one record (must be JSON-serialisable) as one line."""
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            if self._file is None:
                raise ValueError("RequestLogger is closed")
            self._file.write(line)
            self._file.flush()
            if self.fsync == "always":
                os.fsync(self._file.fileno())
            if self._file.tell() >= self.max_bytes:
                self._close_file()
                self._open()

    def close(self) -> None:
        """Flushes, fsyncs (unless "never") and closes the current file."""
        with self._lock:
            if self._file is not None:
                self._close_file()
                self._file = None


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
