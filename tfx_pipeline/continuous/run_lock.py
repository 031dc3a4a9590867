"""One pipeline run at a time: an exclusive `fcntl.flock` on a file in the pipeline root."""

import fcntl
import os

LOCK_FILE = ".continuous.lock"


class RunLock:
    """Non-blocking exclusive lock; released on `release()`, on exit of a `with`, or when the
    process dies (the kernel drops flocks with the descriptor, so a crash never leaves it stuck).

    Args:
        pipeline_root: folder holding the lock file (created).
    """

    def __init__(self, pipeline_root: str):
        os.makedirs(pipeline_root, exist_ok=True)
        self.path = os.path.join(pipeline_root, LOCK_FILE)
        self._fd = None

    def acquire(self) -> bool:
        """True when this process now holds the lock, False when another holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
