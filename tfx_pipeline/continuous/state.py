"""The trigger's persistent state: a JSON file replaced atomically."""

import dataclasses
import json
import os
from typing import Dict, Optional

STATE_FILE = "continuous_state.json"


@dataclasses.dataclass
class TriggerState:
    """What the last successful run consumed.

    Attributes:
        span: span number of the last successful run (0: only the base data so far).
        last_run_time: unix seconds of the last successful run's end, None before the first.
        feedback_offsets / request_offsets: log file name -> bytes consumed by successful runs.
        pending_span: span file written for a run that has not succeeded yet (reused by retries).
        runs: successful runs started by the trigger.
        consecutive_failures: failed attempts since the last success.
        last_error: message of the last failed attempt ("" after a success).
    """

    span: int = 0
    last_run_time: Optional[float] = None
    feedback_offsets: Dict[str, int] = dataclasses.field(default_factory=dict)
    request_offsets: Dict[str, int] = dataclasses.field(default_factory=dict)
    pending_span: Optional[int] = None
    runs: int = 0
    consecutive_failures: int = 0
    last_error: str = ""

    @classmethod
    def load(cls, path: str) -> "TriggerState":
        """Reads `path`; a fresh state when it does not exist.

        Raises:
            ValueError: the file is not a valid state (names it; delete it to start over,
                which re-reads all logs).
        """
        if not os.path.exists(path):
            return cls()
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            return cls(**data)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}: unreadable trigger state ({e}); fix or delete it (deleting "
                             "re-reads every feedback log from the start)") from e

    def save(self, path: str) -> None:
        """Writes to a temporary file, fsyncs, renames over `path`, fsyncs the folder."""
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(dataclasses.asdict(self), f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
