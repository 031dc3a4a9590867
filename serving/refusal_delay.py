"""Holds each answer to an oversized request for a moment, so resending it is slow.

A client that resends a refused request back to back gets each RESOURCE_EXHAUSTED in a few
milliseconds, so it sends hundreds of megabytes a second: its own process and the server's
network reads then take the cores the other clients need (a 200,000-id request sent back to
back cost 4 good clients about 1.5x their p99 on a 2-core machine; bench/bench_refusal.py).
Holding each size refusal for `delay_ms` bounds one connection to about
1,000 / `delay_ms` refusals a second, in the spirit of HTTP 429's Retry-After and nginx's
`limit_req ... delay`. At most `max_held` refusals wait at once and the rest are answered
immediately, so the hold never ties up more than that many of the server's threads.
"""

import threading
import time


class RefusalDelay:
    """Sleeps before a refusal is sent, with at most `max_held` sleepers at once.

    Args:
        delay_ms: how long each refusal is held (`--refusal_delay_ms`); 0 answers at once.
        max_held: refusals held at the same time (>= 1).
    """

    def __init__(self, delay_ms: float, max_held: int):
        if not delay_ms >= 0:  # also refuses NaN
            raise ValueError(f"--refusal_delay_ms must be >= 0, got {delay_ms:g}")
        if max_held < 1:
            raise ValueError(f"max_held must be >= 1, got {max_held}")
        self.delay_seconds = delay_ms / 1e3
        self._slots = threading.BoundedSemaphore(max_held)

    def hold(self) -> bool:
        """Waits the delay if a slot is free; True when it waited."""
        if self.delay_seconds <= 0 or not self._slots.acquire(blocking=False):
            return False
        try:
            time.sleep(self.delay_seconds)
        finally:
            self._slots.release()
        return True
