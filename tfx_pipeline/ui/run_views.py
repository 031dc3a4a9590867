"""Runs from ML Metadata (tfx_pipeline/runs.py), shaped for the runs and agents pages.

A run summary adds to `runs.MetadataReader.list_runs()`'s keys what a person scans a table
for: `span`, `rows_read`, `rows_quarantined` (example_gen's Examples), `metrics` (the
evaluator's), `blessed` / `blessing_message`, `infra_blessed`, `pushed` / `push_message`
and `model_version` (the pusher's).
"""

import threading
from typing import Dict, List, Optional

from tfx_pipeline import runs
from tfx_pipeline.ui import artifacts

_FINISHED = ("COMPLETE", "CACHED", "FAILED")
_NOT_METRICS = ("blessed", "current_model_id", "baseline_model_id")


def _output(details: dict, node_id: str, key: str) -> Optional[dict]:
    for component in details["components"]:
        if component["node_id"] == node_id:
            for artifact in component["outputs"]:
                if artifact["key"] == key:
                    return artifact
    return None


def _component(details: dict, node_id: str) -> Optional[dict]:
    return next((c for c in details["components"] if c["node_id"] == node_id), None)


def _numbers(props: dict) -> Dict[str, float]:
    return {
        k: v
        for k, v in props.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in _NOT_METRICS
    }


def _decision(decisions: List[dict], type_name: Optional[str]) -> Optional[dict]:
    """This run's own blessing / push of a type. A resolver (the baseline's
    `latest_blessed_model_resolver`) also lists an earlier run's blessing as its output:
    skipped."""
    own = [
        d
        for d in decisions
        if (type_name is None or d.get("type") == type_name) and "resolver" not in d["component"]
    ]
    return own[-1] if own else None


def summarise(details: dict) -> dict:
    """A run summary (module docstring) from `MetadataReader.show()`'s answer."""
    keys = (
        "run_id",
        "pipeline",
        "start",
        "end",
        "duration_s",
        "state",
        "n_components",
        "n_cached",
    )
    out = {k: details.get(k) for k in keys}
    examples = (_output(details, "example_gen", "examples") or {}).get("properties", {})
    out.update(
        span=examples.get("span"),
        rows_read=examples.get("rows_read"),
        rows_quarantined=examples.get("rows_quarantined"),
    )
    evaluation = _output(details, "evaluator", "evaluation") or _output(
        details, "evaluator", "blessing"
    )
    out["metrics"] = _numbers((evaluation or {}).get("properties", {}))
    model = _decision(details["blessings"], "ModelBlessing")
    infra = _decision(details["blessings"], "InfraBlessing")
    push = _decision(details["pushes"], None)
    out.update(
        blessed=model["blessed"] if model else None,
        blessing_message=model["message"] if model else "",
        infra_blessed=infra["blessed"] if infra else None,
        infra_message=infra["message"] if infra else "",
        pushed=push["pushed"] if push else None,
        push_message=push["message"] if push else "",
        model_version=push["version"] if push and push["pushed"] else None,
    )
    return out


class RunViews:
    """Answers of the runs and agents pages, read from ML Metadata on every call.

    Args:
        pipeline_root / metadata_path: as `runs.connection_config`. The store may not exist
            yet (the app can start before the first run): pages then say so.
    """

    def __init__(self, pipeline_root: str = "", metadata_path: str = ""):
        self.pipeline_root, self.metadata_path = pipeline_root or None, metadata_path or None
        self._reader = None
        self._lock = threading.Lock()  # One MLMD connection, used by one request at a time.
        self._shown: Dict[tuple, dict] = {}

    def _open(self):
        if self._reader is None:
            self._reader = runs.MetadataReader(
                runs.connection_config(self.pipeline_root, self.metadata_path)
            )
        return self._reader

    def _show_all(self) -> List[dict]:
        reader = self._open()
        shown = []
        for run in reader.list_runs():
            key = (run["run_id"], run["state"], run["n_components"])
            if key not in self._shown:
                details = reader.show(run["run_id"])
                if run["state"] not in _FINISHED:  # Still changing: never cached.
                    shown.append(details)
                    continue
                self._shown[key] = details
            shown.append(self._shown[key])
        return shown

    def list_runs(self) -> dict:
        """{"runs": [summary, newest first], "message": why there are none}."""
        with self._lock:
            try:
                shown = self._show_all()
            except FileNotFoundError as err:
                return {"runs": [], "message": str(err)}
        found = [summarise(d) for d in reversed(shown)]
        return {"runs": found, "message": "" if found else "no pipeline runs recorded yet"}

    def run_page(self, run_id: str) -> dict:
        """Summary, components (with durations and execution properties), model card,
        training curves, the evaluator's metrics, blessings and pushes of one run.

        Raises:
            KeyError: no such run (the message lists ids).
            FileNotFoundError: no metadata store.
        """
        with self._lock:
            details = self._open().show(run_id)
        model = _output(details, "trainer", "model")
        model_run = _output(details, "trainer", "model_run")
        evaluation = _output(details, "evaluator", "evaluation")
        card = artifacts.model_card(model["uri"]) if model else None
        return {
            "summary": summarise(details),
            "components": [
                {
                    k: c[k]
                    for k in (
                        "node_id",
                        "type",
                        "state",
                        "start",
                        "end",
                        "duration_s",
                        "properties",
                        "outputs",
                    )
                }
                for c in details["components"]
            ],
            "model_card": card,
            "curves": artifacts.scalars(model_run["uri"]) if model_run else {},
            "evaluation": artifacts.evaluation(evaluation["uri"]) if evaluation else None,
            "blessings": details["blessings"],
            "pushes": details["pushes"],
        }

    def models(self) -> dict:
        """Every trained model, oldest first: {"models": [{"run_id", "model_id", "uri",
        "agents", "alpha", "blessed", "version", "label"}], "message"}."""
        with self._lock:
            try:
                shown = self._show_all()
            except FileNotFoundError as err:
                return {"models": [], "message": str(err)}
        models, seen = [], set()
        for details in shown:
            model = _output(details, "trainer", "model")
            if not model or model["id"] in seen:  # A cached trainer re-lists an earlier model.
                continue
            seen.add(model["id"])
            card = artifacts.model_card(model["uri"]) or {}
            summary = summarise(details)
            version = summary["model_version"]
            models.append(
                {
                    "run_id": details["run_id"],
                    "model_id": model["id"],
                    "uri": model["uri"],
                    "agents": card.get("agents") or sorted(card.get("alpha") or {}),
                    "alpha": card.get("alpha") or {},
                    "blessed": summary["blessed"],
                    "version": version,
                    "label": f"v{version}"
                    if version
                    else f"{details['run_id'][:19]} (not pushed)",
                }
            )
        return {"models": models, "message": "" if models else "no trained model recorded yet"}

    def latest_sources(self) -> dict:
        """{"items_csv", "transform_graph", "run_id"} of the newest run that embedded items
        and ran the transform (the catalogue the live model most likely knows); {} if none."""
        with self._lock:
            try:
                shown = self._show_all()
            except FileNotFoundError:
                return {}
        for details in reversed(shown):
            embedder = _component(details, "text_embedder")
            graph = _output(details, "transform", "transform_graph")
            items = (embedder or {}).get("properties", {}).get("items_path")
            if items and graph:
                return {
                    "items_csv": items,
                    "transform_graph": graph["uri"],
                    "run_id": details["run_id"],
                }
        return {}
