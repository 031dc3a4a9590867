"""Local multi-worker training: N worker processes on localhost, restarted as a group.

Each worker gets `TF_CONFIG = {"cluster": {"worker": [127.0.0.1:p0, ...]}, "task": {"type":
"worker", "index": i}}` with free ports (portpicker) and runs `python -m
components.trainer.worker --job JOB`. MultiWorkerMirroredStrategy cannot continue without a
lost peer, so when any worker dies the launcher stops the others and restarts the whole
group on fresh ports (as a cluster restarts pods); BackupAndRestore makes the restarted
group resume from the last finished epoch.
"""

import json
import logging
import os
import pathlib
import signal
import subprocess
import sys
import time
from typing import List

_REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def local_cluster(workers: int) -> List[str]:
    """`workers` free localhost addresses."""
    import portpicker

    return [f"127.0.0.1:{portpicker.pick_unused_port()}" for _ in range(workers)]


def tf_config(addresses: List[str], index: int) -> str:
    return json.dumps({"cluster": {"worker": addresses},
                       "task": {"type": "worker", "index": index}})


def _start(job_path: str, addresses: List[str], log_dir: str,
           attempt: int) -> List[subprocess.Popen]:
    env = dict(os.environ)
    env["TF_USE_LEGACY_KERAS"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(_REPO_ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    processes = []
    for index in range(len(addresses)):
        env["TF_CONFIG"] = tf_config(addresses, index)
        log = open(os.path.join(log_dir, f"worker-{index}-attempt-{attempt}.log"), "wb")
        processes.append(subprocess.Popen([sys.executable, "-m", "components.trainer.worker",
                                           "--job", job_path],
                                          env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True))
        log.close()
    return processes


def _stop(processes: List[subprocess.Popen], grace: float = 10.0) -> None:
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.time() + grace
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _tail(path: str, lines: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
    except OSError:
        return ""


def run_local_workers(job_path: str, workers: int, log_dir: str, max_restarts: int = 2,
                      timeout_seconds: float = 3600.0, poll_seconds: float = 0.5) -> int:
    """Runs the job on `workers` local processes until all exit 0.

    Args:
        job_path: the TrainingJob JSON.
        workers: number of worker processes (>= 1).
        log_dir: where `worker-<i>-attempt-<n>.log` files go.
        max_restarts: group restarts allowed after a worker failure.
        timeout_seconds: overall limit.

    Returns:
        the number of restarts that were needed.

    Raises:
        RuntimeError: a worker failed after all restarts, or the timeout passed (the
            message has the failing worker's log tail).
    """
    os.makedirs(log_dir, exist_ok=True)
    deadline = time.time() + timeout_seconds
    for attempt in range(max_restarts + 1):
        processes = _start(job_path, local_cluster(workers), log_dir, attempt)
        failed = None
        try:
            while True:
                codes = [p.poll() for p in processes]
                failed = next((i for i, c in enumerate(codes) if c not in (None, 0)), None)
                if failed is not None or all(c == 0 for c in codes):
                    break
                if time.time() > deadline:
                    raise RuntimeError(f"{workers} workers did not finish within "
                                       f"{timeout_seconds:.0f}s; logs in {log_dir}")
                time.sleep(poll_seconds)
        finally:
            _stop(processes)
        if failed is None:
            return attempt
        log = os.path.join(log_dir, f"worker-{failed}-attempt-{attempt}.log")
        logging.warning("trainer: worker %d exited with %s (attempt %d); %s", failed,
                        processes[failed].returncode, attempt,
                        "restarting all workers" if attempt < max_restarts else "giving up")
    raise RuntimeError(f"worker {failed} failed {max_restarts + 1} time(s); last log {log}:\n"
                       f"{_tail(log)}")
