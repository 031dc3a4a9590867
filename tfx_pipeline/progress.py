"""One line per component start and end while a local pipeline runs.

LocalDagRunner logs `Component X is running.` / `... is finished.` and the launcher
`A cached execution N is used.` at absl INFO level; this handler turns those into progress
lines (time, component, duration, cached or not) without raising the global log level.
Components that process many rows or items log their count and rate to
`components.common.PROGRESS_LOGGER`; that line is appended to the component's end line.
Known harmless framework warnings are dropped meanwhile (`log_filters`).
"""

import logging
import re
import sys
import time

from components.common import PROGRESS_LOGGER
from tfx_pipeline import log_filters

_START = re.compile(r"^Component (\S+) is running\.$")
_END = re.compile(r"^Component (\S+) is finished\.$")
_CACHED = re.compile(r"^A cached execution \d+ is used\.$")


class ComponentProgress(logging.Handler):
    """Prints `[HH:MM:SS] > name` at start and `[HH:MM:SS] + name 12.3s (cached)` at end."""

    def __init__(self, stream=None):
        super().__init__(level=logging.INFO)
        self.stream = stream or sys.stdout
        self._started = {}
        self._current = None
        self._cached = set()
        self._rates = {}
        self.finished = []

    @property
    def running(self):
        """The component that started and has not finished (the failed one after an error)."""
        return self._current if self._current not in self.finished else None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # pylint: disable=broad-except
            return
        stamp = time.strftime("%H:%M:%S")
        if record.name == PROGRESS_LOGGER:
            name, _, rate = message.partition(": ")
            self._rates[name] = rate
        elif match := _START.match(message):
            self._current = match.group(1)
            self._started[self._current] = time.time()
            print(f"[{stamp}] > {self._current}", file=self.stream, flush=True)
        elif _CACHED.match(message) and self._current:
            self._cached.add(self._current)
        elif match := _END.match(message):
            name = match.group(1)
            seconds = time.time() - self._started.get(name, time.time())
            note = " (cached)" if name in self._cached else ""
            rate = f": {self._rates[name]}" if name in self._rates else ""
            self.finished.append(name)
            print(f"[{stamp}] + {name} {seconds:.1f}s{note}{rate}", file=self.stream, flush=True)


class report_progress:  # pylint: disable=invalid-name
    """Context manager routing the absl logger's INFO records to `ComponentProgress` only.

    A logger filter hands INFO records to the progress handler and drops them, so the console
    shows progress lines, while warnings and errors pass through to the usual handlers.
    """

    def __init__(self, stream=None):
        self.handler = ComponentProgress(stream)
        self._logger = logging.getLogger("absl")
        self._level = None
        self._rates = logging.getLogger(PROGRESS_LOGGER)
        self._rates_state = None
        self._quiet = log_filters.quiet_known_noise()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            self.handler.handle(record)
            return False
        return True

    def __enter__(self):
        self._level = self._logger.level
        self._logger.setLevel(logging.INFO)
        # Beam executors parse absl flags, which resets the absl logger's level to the
        # --verbosity default (WARNING) mid-run; hold it at INFO until we exit.
        self._logger.setLevel = lambda level: None
        self._logger.addFilter(self)
        # Rate lines go to the progress display only, not to the root logger's handlers.
        self._rates_state = (self._rates.level, self._rates.propagate)
        self._rates.setLevel(logging.INFO)
        self._rates.propagate = False
        self._rates.addHandler(self.handler)
        self._quiet.__enter__()
        return self.handler

    def __exit__(self, *exc):
        self._quiet.__exit__(*exc)
        self._rates.removeHandler(self.handler)
        self._rates.setLevel(self._rates_state[0])
        self._rates.propagate = self._rates_state[1]
        self._logger.removeFilter(self)
        self._logger.__dict__.pop("setLevel", None)
        self._logger.setLevel(self._level)
        return False
