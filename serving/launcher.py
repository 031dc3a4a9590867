"""Start a model server process: the real `tensorflow_model_server` when on PATH, else ours.

Both take the same flags, so tests and the InfraValidator treat them alike:

    with start_model_server("/models/recsys", "recsys") as server:
        server.wait_until_available(timeout=120)
        RecommendClient(server.grpc_target, "recsys").recommend(["u1"], k=10)

The process always dies with the handle: `stop()`, leaving the `with` block, or interpreter
exit (atexit) send SIGTERM (graceful drain), then SIGKILL after `timeout`.
"""

import atexit
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BINARY = "tensorflow_model_server"
_REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def find_model_server_binary():
    """Path of `tensorflow_model_server` on PATH, or None."""
    return shutil.which(BINARY)


def _free_port() -> int:
    import portpicker

    return portpicker.pick_unused_port()


class ModelServerHandle:
    """A running server process.

    Attributes:
        kind: "tensorflow_model_server" or "python".
        grpc_port, rest_port: its ports; grpc_target "127.0.0.1:<grpc_port>"; rest_url.
        log_path: file holding its stdout and stderr (see `stop` for its lifetime).
    """

    def __init__(self, process, kind, model_name, grpc_port, rest_port, log_path, own_log=False):
        self.process, self.kind, self.model_name = process, kind, model_name
        self.grpc_port, self.rest_port, self.log_path = grpc_port, rest_port, log_path
        self._own_log, self._final_log = own_log, None
        self.grpc_target = f"127.0.0.1:{grpc_port}"
        self.rest_url = f"http://127.0.0.1:{rest_port}"
        atexit.register(self.stop)

    def log_tail(self, lines: int = 30) -> str:
        if self._final_log is not None:
            return "\n".join(self._final_log.splitlines()[-lines:])
        try:
            return "\n".join(
                pathlib.Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def is_available(self) -> bool:
        """True when GET /v1/models/NAME reports a version AVAILABLE."""
        try:
            with urllib.request.urlopen(f"{self.rest_url}/v1/models/{self.model_name}",
                                        timeout=2) as r:
                rows = json.loads(r.read())["model_version_status"]
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            return False
        return any(row.get("state") == "AVAILABLE" for row in rows)

    def wait_until_available(self, timeout: float = 120.0) -> "ModelServerHandle":
        """Blocks until the model is AVAILABLE.

        Raises:
            RuntimeError: the process exited or `timeout` passed; the message holds its log tail.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with code {self.process.returncode} "
                                   "before the model was available; "
                                   f"log {self.log_path}:\n{self.log_tail()}")
            if self.is_available():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.kind} did not make {self.model_name!r} available within "
                           f"{timeout:.0f} s; log {self.log_path}:\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (graceful), SIGKILL after `timeout`; returns the exit code.

        A temporary log file made by `start_model_server` is deleted after a clean exit (its
        text stays readable through `log_tail`) and kept otherwise.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        atexit.unregister(self.stop)
        if self._own_log and self.process.returncode == 0 and self._final_log is None:
            self._final_log = self.log_tail(1000)
            pathlib.Path(self.log_path).unlink(missing_ok=True)
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_model_server(model_base_path=None, model_name="default", port=None, rest_port=None,
                       binary="auto", extra_flags=(), model_config_file=None,
                       log_path=None) -> ModelServerHandle:
    """Starts a server process on free ports (unless given) and returns at once.

    Args:
        model_base_path: folder of numeric version folders (or use `model_config_file`).
        model_name: name to serve it under.
        port, rest_port: gRPC and REST ports; free ones are picked when None.
        binary: "auto" (real binary if on PATH), "tensorflow_model_server" or "python".
        extra_flags: more flags in TF Serving's `--name=value` form.
        model_config_file: a models.config instead of base path + name.
        log_path: where stdout/stderr go (a temporary file by default).

    Returns:
        A ModelServerHandle; call `wait_until_available`.
    """
    real = find_model_server_binary()
    if binary == "auto":
        binary = BINARY if real else "python"
    if binary == BINARY and not real:
        raise FileNotFoundError(f"{BINARY} is not on PATH; "
                                "use binary='python' for this package's server")
    port, rest_port = port or _free_port(), rest_port or _free_port()
    flags = [f"--port={port}", f"--rest_api_port={rest_port}"]
    if model_config_file:
        flags.append(f"--model_config_file={model_config_file}")
    else:
        flags += [f"--model_name={model_name}",
                  f"--model_base_path={os.path.abspath(model_base_path)}"]
    flags += list(extra_flags)
    env = dict(os.environ)
    if binary == BINARY:
        command = [real] + flags
    else:
        command = [sys.executable, "-m", "serving"] + flags
        env["PYTHONPATH"] = os.pathsep.join([str(_REPO_ROOT)]
                                            + [p for p in [env.get("PYTHONPATH")] if p])
        env.setdefault("TF_USE_LEGACY_KERAS", "1")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    own_log = log_path is None
    if own_log:
        fd, log_path = tempfile.mkstemp(prefix="model-server-", suffix=".log")
        os.close(fd)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return ModelServerHandle(process, "tensorflow_model_server" if binary == BINARY else "python",
                             model_name, port, rest_port, log_path, own_log)
