"""Serve a SavedModel in a real server process, send real requests, judge the answers.

Every failure (copy, start, load, request, malformed answer) becomes a NOT-blessed result
with a reason; the server process and the temporary model folder are always removed.
"""

import dataclasses
import json
import logging
import math
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional, Sequence

from rec_model import features as F
from serving.client import RecommendClient
from serving.errors import ServingError
from serving.launcher import start_model_server


@dataclasses.dataclass(frozen=True)
class Request:
    """One `recommend` call: [batch] users, [batch] history lists, [batch] exclude lists."""

    user_ids: tuple
    history: tuple
    exclude: tuple


@dataclasses.dataclass
class InfraResult:
    """Outcome of `validate_model`.

    Attributes:
        blessed: the model loaded and every request got a well-formed answer.
        reason: what passed, or the first failure.
        server_kind: "tensorflow_model_server" or "python" (None when it never started).
        requests_ok: requests answered well-formed.
        log_tail: last lines of the server log.
    """

    blessed: bool
    reason: str
    server_kind: Optional[str] = None
    requests_ok: int = 0
    log_tail: str = ""


def build_requests(data, num_requests: int, batch_size: int, history_length: int) -> List[Request]:
    """Requests from eval users (cycled), their recent train items as history and exclude.

    Args:
        data: an `EvalSet`, or None for anonymous users with no history.
    """
    users = list(data.users) if data is not None and data.users else ["infra-validation-user"]
    requests, n = [], 0
    for _ in range(num_requests):
        batch = [users[(n + j) % len(users)] for j in range(batch_size)]
        n += batch_size
        recent = [tuple(data.history.get(u, ())[-history_length:])
                  if data is not None and history_length else ()
                  for u in batch]
        requests.append(Request(tuple(batch), tuple(recent), tuple(recent)))
    return requests


def check_response(rows: Sequence[dict], request: Request, k: int) -> Optional[str]:
    """None when the answer honours the contract, else what is wrong."""
    if len(rows) != len(request.user_ids):
        return f"{len(rows)} rows for {len(request.user_ids)} users"
    for row, user, excluded in zip(rows, request.user_ids, request.exclude):
        items, scores, agents, names = (row[F.ITEM_IDS], row[F.SCORES], row[F.AGENT_SCORES],
                                        row[F.AGENT_NAMES])
        if len(items) != k or len(scores) != k:
            return f"user {user}: {len(items)} item_ids and {len(scores)} scores, expected k={k}"
        filled = [i for i in items if i]
        if not all(isinstance(i, str) for i in items) or items[:len(filled)] != filled:
            # "" only as trailing padding (fewer than k eligible candidates).
            return f"user {user}: empty item id before a real one in {items}"
        if set(items) & set(excluded):
            return f"user {user}: recommended excluded items {sorted(set(items) & set(excluded))}"
        if not all(math.isfinite(s) for s in scores):
            return f"user {user}: non-finite scores {scores}"
        if any(a < b - 1e-5 * max(1.0, abs(a)) for a, b in zip(scores, scores[1:])):
            return f"user {user}: scores are not sorted best first: {scores}"
        if not names or len(agents) != k or any(len(a) != len(names) for a in agents):
            return (f"user {user}: agent_scores must be [k={k}, n_agents={len(names)}], "
                    f"got {len(agents)} rows")
        if not all(math.isfinite(v) for a in agents for v in a):
            return f"user {user}: non-finite agent_scores"
    return None


def _model_status(handle) -> list:
    try:
        with urllib.request.urlopen(f"{handle.rest_url}/v1/models/{handle.model_name}",
                                    timeout=2) as r:
            return json.loads(r.read()).get("model_version_status", [])
    except (OSError, urllib.error.URLError, ValueError):
        return []


def wait_for_model(handle, timeout: float) -> Optional[str]:
    """None once a version is AVAILABLE; else why not (process died, load failed, timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            return (f"{handle.kind} exited with code {handle.process.returncode} before the "
                    "model was available")
        rows = _model_status(handle)
        if any(r.get("state") == "AVAILABLE" for r in rows):
            return None
        failed = [r for r in rows if r.get("state") == "END"
                  and r.get("status", {}).get("error_code", "OK") != "OK"]
        if failed:
            return f"model failed to load: {failed[0]['status'].get('error_message', '')}"[:2000]
        time.sleep(0.2)
    return f"model not AVAILABLE within {timeout:.0f} s"


def validate_model(saved_model_dir: str, requests: Sequence[Request], config,
                   log_path: Optional[str] = None) -> InfraResult:
    """Copies the model to `<tmp>/<model_name>/1/`, serves it, sends `requests`.

    Args:
        saved_model_dir: the candidate SavedModel folder.
        requests: from `build_requests`.
        config: an `InfraValidatorConfig`.
        log_path: where the server's output goes (a temporary file when None).

    Returns:
        An InfraResult; never raises for a bad model.
    """
    workdir = Path(tempfile.mkdtemp(prefix="infra-validation-"))
    handle, done = None, 0
    try:
        base = workdir / config.model_name
        shutil.copytree(saved_model_dir, base / "1")
        handle = start_model_server(str(base), config.model_name, binary=config.binary,
                                    log_path=log_path)
        problem = wait_for_model(handle, config.timeout_seconds)
        if problem:
            return InfraResult(False, problem, handle.kind, 0, handle.log_tail())
        with RecommendClient(handle.grpc_target, config.model_name,
                             timeout=config.request_timeout_seconds) as client:
            for request in requests:
                rows = client.recommend(list(request.user_ids), k=config.k,
                                        history=[list(h) for h in request.history],
                                        exclude=[list(e) for e in request.exclude])
                problem = check_response(rows, request, config.k)
                if problem:
                    return InfraResult(False, f"malformed answer to request {done + 1}: {problem}",
                                       handle.kind, done, handle.log_tail())
                done += 1
        return InfraResult(True, f"served by {handle.kind}; {done} recommend requests "
                                 f"(k={config.k}) answered well-formed", handle.kind, done,
                           handle.log_tail())
    except (ServingError, OSError, RuntimeError, ValueError) as err:
        logging.warning("infra_validator: %s", err)
        return InfraResult(False, f"{type(err).__name__}: {err}"[:2000],
                           handle.kind if handle else None, done,
                           handle.log_tail() if handle else "")
    finally:
        if handle is not None:
            handle.stop()
        shutil.rmtree(workdir, ignore_errors=True)
