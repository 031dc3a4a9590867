"""One append-only, size-rotated JSON-lines writer for every log the server keeps.

Each record is ONE `os.write` on an `O_APPEND` descriptor, so concurrent writers (threads or
processes) never interleave inside a line and a server crash loses no acknowledged record.
Files are `DIR/<prefix>-<UTC start>-<pid>-<n>.jsonl`, created with `O_EXCL` so a writer never
appends to a file another process owns; with `reuse_last`, a restart first ends a line torn by
an earlier crash in the newest file with "\\n", then appends to that file while it is under
`max_bytes`.

`fsync` policy: "always" (`os.fsync` after every record, survives power loss), "rotate" (fsync
when a file is closed or rotated), "never".
"""

import json
import os
import pathlib
import threading
import time
from typing import Optional

FSYNC_POLICIES = ("always", "rotate", "never")


class JsonLinesLog:
    """Thread- and process-safe appender of JSON records, one per line.

    Args:
        directory: folder of the log files (created).
        prefix: file name prefix, e.g. "feedback" or "requests".
        max_bytes: rotate to a new file once the current one is at least this large.
        fsync: "always", "rotate" or "never".
        reuse_last: on start, keep appending to the newest `<prefix>-*.jsonl` under `max_bytes`.
    """

    def __init__(self, directory, prefix: str, max_bytes: int = 64 << 20, fsync: str = "always",
                 reuse_last: bool = False):
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync policy {fsync!r} must be one of {FSYNC_POLICIES}")
        if max_bytes < 1024:
            raise ValueError(f"max_bytes must be at least 1024, got {max_bytes}")
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix, self.max_bytes, self.fsync = prefix, max_bytes, fsync
        self._lock = threading.Lock()
        self._seq = 0
        self._fd: Optional[int] = None
        self._size = 0
        self._open(reuse=reuse_last)

    def _open(self, reuse: bool = False) -> None:
        existing = sorted(self.directory.glob(f"{self.prefix}-*.jsonl")) if reuse else []
        if existing:
            # A crashed writer may have left a torn record: end it with a newline, so readers
            # skip it as one corrupt line instead of waiting for the rest of it.
            fd = os.open(existing[-1], os.O_RDWR | os.O_APPEND)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                size += os.write(fd, b"\n")
            if size < self.max_bytes:
                self.path, self._fd, self._size = existing[-1], fd, size
                return
            os.close(fd)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        while True:
            self._seq += 1
            name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._seq:05d}.jsonl"
            self.path = self.directory / name
            try:  # O_EXCL: never append to a file another process (or an earlier run) owns.
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL,
                                   0o644)
                break
            except FileExistsError:
                continue
        self._size = 0

    def _close_fd(self) -> None:
        if self.fsync != "never":
            os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None

    def append(self, record: dict) -> None:
        """Appends one JSON-serialisable record as one line (a single `os.write`)."""
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise ValueError(f"{type(self).__name__} is closed")
            written = os.write(self._fd, data)
            if written != len(data):  # Regular files only short-write when the disk is full.
                raise OSError(f"{self.path}: short write ({written} of {len(data)} bytes); "
                              "is the disk full?")
            if self.fsync == "always":
                os.fsync(self._fd)
            self._size += written
            if self._size >= self.max_bytes:
                self._close_fd()
                self._open()

    def close(self) -> None:
        """Fsyncs (unless "never") and closes the current file; idempotent."""
        with self._lock:
            if self._fd is not None:
                self._close_fd()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
