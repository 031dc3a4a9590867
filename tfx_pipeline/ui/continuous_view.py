"""Continuous training, for the page: feedback volume, click-through rates, trigger decisions.

- Feedback volume: records of the feedback logs (serving/feedback_log.py) per event and per
  hour (per day once they span more than two weeks).
- Click-through rate per model version: positive clicks (duplicates once) on a request of
  the request log (serving/request_log.py, which records the serving version) / recommended
  items that version served.
- Per simulation round: the `recsys simulate` report (`simulation.json`).
- The trigger's decisions (tfx_pipeline/continuous/decision_log.py) and its state file.

Logs are read incrementally: each call reads only the bytes appended since the last one.
"""

import collections
import json
import os
import threading
from typing import Dict, List, Optional

from serving import feedback_log
from serving.request_log import REQUEST_GLOB
from tfx_pipeline.continuous import decision_log
from tfx_pipeline.continuous.state import STATE_FILE, TriggerState

HOUR, DAY = 3600, 86400
MAX_DECISIONS = 500
MAX_RECENT_USERS = 50


def _read_simulation(path: str) -> Optional[dict]:
    if not path or not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError):
        return None
    rounds = [
        {k: r.get(k) for k in ("round", "ctr", "shown", "clicks", "model_version", "retrain")}
        for r in report.get("rounds", [])
        if isinstance(r, dict)
    ]
    return {
        "path": path,
        "rounds": rounds,
        "config": report.get("config", {}),
        "ctr_rose": report.get("ctr_rose"),
    }


class ContinuousView:
    """Aggregates of the feedback and request logs, kept up to date incrementally.

    Args:
        feedback_dir / request_log_dir: log folders ("" = not configured).
        pipeline_root: where the trigger keeps its state and decisions ("" = none).
        simulation_path: a `recsys simulate` report ("" = none).
    """

    def __init__(
        self,
        feedback_dir: str = "",
        request_log_dir: str = "",
        pipeline_root: str = "",
        simulation_path: str = "",
    ):
        self.feedback_dir, self.request_log_dir = feedback_dir, request_log_dir
        self.pipeline_root, self.simulation_path = pipeline_root, simulation_path
        self._lock = threading.Lock()
        self._feedback_offsets: Dict[str, int] = {}
        self._request_offsets: Dict[str, int] = {}
        self._events: Dict[str, int] = {}
        self._hours: Dict[int, Dict[str, int]] = {}
        self._version_of: Dict[str, int] = {}  # request id -> serving version
        self._served: Dict[
            int, Dict[str, int]
        ] = {}  # version -> {"requests", "served_items", "clicks"}
        self._pending_clicks: Dict[str, int] = {}  # clicks whose request was not read yet
        self._seen_clicks = set()
        self._corrupt = 0
        self._recent_users = collections.deque(maxlen=MAX_RECENT_USERS)

    def _count_click(self, record: dict) -> None:
        key = (record.get("request_id"), record.get("user_id"), record.get("item_id"))
        if key in self._seen_clicks:
            return
        self._seen_clicks.add(key)
        version = self._version_of.get(record.get("request_id"))
        if version is None:
            self._pending_clicks[record.get("request_id")] = (
                self._pending_clicks.get(record.get("request_id"), 0) + 1
            )
        else:
            self._served[version]["clicks"] += 1

    def _update(self) -> None:
        if self.request_log_dir:
            requests, self._request_offsets, bad = feedback_log.read_new_records(
                self.request_log_dir, self._request_offsets, REQUEST_GLOB
            )
            self._corrupt += bad
            for r in requests:
                version = r.get("version")
                if not isinstance(version, int) or not r.get("request_id"):
                    continue
                stats = self._served.setdefault(
                    version, {"requests": 0, "served_items": 0, "clicks": 0}
                )
                stats["requests"] += 1
                stats["served_items"] += sum(
                    len(row) for row in r.get("item_ids") or [] if isinstance(row, list)
                )
                self._version_of[r["request_id"]] = version
                self._recent_users.extend(
                    u for u in r.get("user_ids") or [] if isinstance(u, str) and u
                )
                stats["clicks"] += self._pending_clicks.pop(r["request_id"], 0)
        if self.feedback_dir:
            records, self._feedback_offsets, bad = feedback_log.read_new_records(
                self.feedback_dir, self._feedback_offsets
            )
            self._corrupt += bad
            for r in records:
                event = str(r.get("event", "click"))
                self._events[event] = self._events.get(event, 0) + 1
                hour = int(float(r.get("time") or 0) // HOUR) * HOUR
                bucket = self._hours.setdefault(hour, {})
                bucket[event] = bucket.get(event, 0) + 1
                if event == "click" and _positive(r.get("value", 1)):
                    self._count_click(r)

    def _volume(self) -> dict:
        hours = sorted(self._hours)
        step = DAY if hours and hours[-1] - hours[0] > 14 * DAY else HOUR
        buckets: Dict[int, Dict[str, int]] = {}
        for hour in hours:
            target = buckets.setdefault(hour // step * step, {})
            for event, n in self._hours[hour].items():
                target[event] = target.get(event, 0) + n
        return {
            "total": sum(self._events.values()),
            "by_event": dict(sorted(self._events.items())),
            "bucket_seconds": step,
            "buckets": [{"time": t, "events": buckets[t]} for t in sorted(buckets)],
        }

    def recent_users(self) -> List[str]:
        """Distinct users of the newest served requests (newest last); [] without request logs."""
        with self._lock:
            self._update()
            return list(dict.fromkeys(self._recent_users))

    def page(self) -> dict:
        """Everything the continuous-training page shows (keys named in the module docstring)."""
        with self._lock:
            self._update()
            volume = self._volume()
            versions = [
                dict(
                    version=v,
                    ctr=s["clicks"] / s["served_items"] if s["served_items"] else None,
                    **s,
                )
                for v, s in sorted(self._served.items())
            ]
            unmatched = sum(self._pending_clicks.values())
        state, decisions = None, []
        if self.pipeline_root:
            decisions = decision_log.read_decisions(self.pipeline_root, limit=MAX_DECISIONS)
            path = os.path.join(self.pipeline_root, STATE_FILE)
            try:
                state = vars(TriggerState.load(path)) if os.path.exists(path) else None
            except ValueError as err:
                state = {"error": str(err)}
        return {
            "sources": {
                "feedback_dir": self.feedback_dir,
                "request_log_dir": self.request_log_dir,
                "pipeline_root": self.pipeline_root,
                "simulation": self.simulation_path,
            },
            "feedback": volume,
            "ctr_by_version": versions,
            "clicks_without_request": unmatched,
            "corrupt_lines": self._corrupt,
            "simulation": _read_simulation(self.simulation_path),
            "trigger_state": state,
            "decisions": decisions,
        }


def _positive(value) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False
