"""The trigger's decisions over time: one JSON line per `ContinuousTrigger.once()`.

`<pipeline_root>/continuous/decisions.jsonl` holds every check, including those that decided
not to run ("nothing due") and those that found another trigger running ("busy"), so the
history of why the model was or was not retrained can be shown later (`recsys ui`):

    {"time": 1796084697.4, "busy": false, "triggered": true, "reasons": ["new_interactions
     811 >= 1"], "new_interactions": 811, "ctr": 0.27, "span": 1, "succeeded": true, ...}

Each record is ONE `os.write` on an `O_APPEND` descriptor, so two triggers never interleave
inside a line; readers skip a line torn by a crash (serving/feedback_log.py).
"""

import json
import logging
import os
from typing import List, Optional

from serving.feedback_log import read_lines_from

DECISIONS_FILE = os.path.join("continuous", "decisions.jsonl")


def decisions_path(pipeline_root: str) -> str:
    """Where the decisions of the trigger working on `pipeline_root` are appended."""
    return os.path.join(pipeline_root, DECISIONS_FILE)


def append_decision(pipeline_root: str, result: dict, now: float) -> None:
    """Appends `result` (the dict `once()` returns) with its `time`.

    A failure to write is logged, never raised: the record is for people, and a full disk
    must not stop the trigger from retraining.
    """
    record = dict(result, time=float(now))
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")
    path = decisions_path(pipeline_root)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as err:
        logging.warning("continuous: could not record the decision in %s: %s", path, err)


def read_decisions(pipeline_root: str, limit: Optional[int] = None) -> List[dict]:
    """The recorded decisions, oldest first (the newest `limit` when given); [] when none."""
    path = decisions_path(pipeline_root)
    if not os.path.isfile(path):
        return []
    records, _, _ = read_lines_from(path)
    return records[-limit:] if limit else records
