"""The last line of `recsys pipeline run`: was a model pushed, and if not, why."""

import os
import traceback
from typing import Optional

ERROR_FILE = "last_error.txt"


def push_outcome(run: Optional[dict], serving_dir: str, last_stage: str) -> str:
    """`model pushed: <dir>/<version>` or `no model pushed: <reason>`.

    Args:
        run: `runs.MetadataReader.show(...)` of the run (None when unreadable).
        serving_dir: the pusher's destination ("" when none was given).
        last_stage: the run's last stage (`PipelineConfig.last_stage`).
    """
    if not serving_dir or last_stage != "push":
        why = ("no --serving-dir given" if not serving_dir
               else f"the run stopped after {last_stage} (--until)")
        verdict = _blessing_verdict(run, "evaluator")
        return f"no model pushed: {why}" + (f"; evaluator {verdict}" if verdict else "")
    pushes = (run or {}).get("pushes") or []
    if not pushes:
        return "no model pushed: the pusher did not run (see the component lines above)"
    push = pushes[-1]
    cached = any(c.get("node_id") == push.get("component") and c.get("state") == "CACHED"
                 for c in (run or {}).get("components", []))
    if push.get("pushed"):
        note = " (unchanged: cached from an earlier run)" if cached else ""
        return f"model pushed: {push.get('destination')}{note}"
    message = push.get("message") or "the pusher did not push"
    return "no model pushed: " + message.removeprefix("not pushed: ")


def _blessing_verdict(run: Optional[dict], component: str) -> str:
    for blessing in (run or {}).get("blessings") or []:
        if blessing.get("component") == component and blessing.get("message"):
            return blessing["message"]
    return ""


def failure_message(pipeline_name: str, component: Optional[str], seconds: float,
                    error: BaseException, pipeline_root: str) -> str:
    """A plain account of a failed run; the traceback goes to `<root>/last_error.txt`.

    Returns:
        Lines for the console: what failed, the error's last line, where the details are.
    """
    where = component or "a component"
    text = "".join(traceback.format_exception(error))
    path = os.path.join(pipeline_root, ERROR_FILE)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        path = ""  # Not a local folder (e.g. gs://): the traceback is printed instead.
    summary = (str(error).strip().splitlines() or [""])[-1][:500]
    lines = [f"pipeline {pipeline_name} FAILED in {where} after {seconds:.1f}s: "
             f"{type(error).__name__}: {summary}"]
    lines.append(f"  traceback: {path}" if path else text.rstrip())
    lines.append(f"no model pushed: {where} failed")
    return "\n".join(lines)
