"""Versions of one model: watch the base path, load, warm up, swap atomically, unload.

Version folders are numeric names under the base path (TF Serving's layout). Every poll:
1. list candidate versions (numeric folders holding `saved_model.pb`), minus versions that
   already failed to load and have not changed on disk since (size/mtime fingerprint; a
   version that was half-copied is retried once its files change);
2. pick the versions the policy wants (latest N by default) and load, then warm up, each
   new one off the request path; a failure is logged, recorded as state END with its error,
   and the next older candidate is tried instead;
3. publish the new {version: Servable} map with one reference assignment. Requests already
   holding the old Servable finish on it, so a swap fails no request.
The last serving version is never unloaded when nothing can replace it.
"""

import logging
import pathlib
import threading
import time

from serving.errors import Code, ServingError
from serving.model_config import ServedModel
from serving.servable import Servable
from serving.session_options import SessionOptions

log = logging.getLogger(__name__)


def _fingerprint(path: pathlib.Path):
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return tuple((str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


class ModelManager:
    """Serves the versions of one `ServedModel`.

    Args:
        config: the model's name, base path, version policy and labels.
        warmup: run warm-up requests before a version is served.
        on_load: optional callback(model_name, version, seconds) after each successful load.
        session_options: thread pools of each version's TensorFlow Session.
    """

    def __init__(self, config: ServedModel, warmup: bool = True, on_load=None,
                 session_options: SessionOptions = SessionOptions()):
        self.config = config
        self._session_options = session_options
        self._warmup = warmup
        self._on_load = on_load
        self._servables: dict = {}  # version -> Servable; replaced, never mutated.
        self._failed: dict = {}  # version -> (fingerprint, message)
        self._states: dict = {}  # version -> state name for GetModelStatus
        self._lock = threading.Lock()  # one poll at a time
        self._stop = threading.Event()
        self._thread = None

    @property
    def name(self) -> str:
        return self.config.name

    def versions(self) -> list:
        """Served versions, newest first."""
        return sorted(self._servables, reverse=True)

    def _candidates(self) -> dict:
        base = pathlib.Path(self.config.base_path)
        if not base.is_dir():
            log.warning("model %s: base path %s does not exist (yet)", self.name, base)
            return {}
        found = {}
        for child in base.iterdir():
            if child.name.isdigit() and child.is_dir() and (child / "saved_model.pb").is_file():
                found[int(child.name)] = child
        return found

    def _wanted(self, candidates: dict) -> list:
        ordered = sorted(candidates, reverse=True)
        if self.config.policy == "all":
            return ordered
        if self.config.policy == "specific":
            return [v for v in ordered if v in self.config.versions]
        return ordered[: self.config.num_versions]

    def _try_load(self, version: int, path: pathlib.Path):
        fingerprint = _fingerprint(path)
        if version in self._failed and self._failed[version][0] == fingerprint:
            return None
        self._states[version] = "LOADING"
        start = time.perf_counter()
        try:
            servable = Servable(self.name, version, path, self._session_options)
            if self._warmup:
                servable.warmup()
        except Exception as err:  # noqa: BLE001 - any load failure must leave serving alive.
            message = f"{type(err).__name__}: {getattr(err, 'message', None) or err}"[:2000]
            log.error("model %s: version %d at %s failed to load and is skipped: %s",
                      self.name, version, path, message)
            self._failed[version] = (fingerprint, message)
            self._states[version] = "END"
            return None
        self._failed.pop(version, None)
        seconds = time.perf_counter() - start
        log.info("model %s: loaded version %d in %.2f s", self.name, version, seconds)
        if self._on_load:
            self._on_load(self.name, version, seconds)
        return servable

    def poll_once(self) -> list:
        """One scan of the base path; returns the served versions afterwards."""
        with self._lock:
            candidates = self._candidates()
            current = dict(self._servables)
            served = {}
            pool = dict(candidates)
            target = len(self._wanted(candidates))
            while pool and len(served) < target:
                wanted = [v for v in self._wanted(pool) if v not in served]
                if not wanted:
                    break
                version = wanted[0]
                servable = current.get(version) or self._try_load(version, pool[version])
                if servable is None:
                    pool.pop(version)
                    continue
                served[version] = servable
            if not served and current:
                log.warning("model %s: nothing new can be loaded; keeping versions %s",
                            self.name, sorted(current))
                served = current
            self._servables = served  # the atomic swap
            for version in current:
                if version not in served:
                    self._states[version] = "END"
                    log.info("model %s: unloaded version %d", self.name, version)
            for version in served:
                self._states[version] = "AVAILABLE"
            return self.versions()

    def start(self, poll_seconds: float):
        """Loads what is there now, then polls every `poll_seconds` (0 = never) in a thread."""
        self.poll_once()
        if poll_seconds > 0:
            self._thread = threading.Thread(target=self._loop, args=(poll_seconds,),
                                            name=f"poll-{self.name}", daemon=True)
            self._thread.start()

    def _loop(self, poll_seconds):
        while not self._stop.wait(poll_seconds):
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - the poller must survive e.g. a vanished folder.
                log.exception("model %s: poll failed", self.name)

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def resolve(self, version=None, label=None) -> Servable:
        """The Servable for a request: a version, a label, or the newest when both are None.

        Raises:
            ServingError: NOT_FOUND for an unknown version or label, or none loaded yet.
        """
        servables = self._servables  # one read: a consistent snapshot
        if label:
            if label not in self.config.label_map:
                raise ServingError(Code.NOT_FOUND,
                                   f"model {self.name!r} has no version label {label!r}; "
                                   f"labels: {sorted(self.config.label_map)}")
            version = self.config.label_map[label]
        if version is None:
            if not servables:
                raise ServingError(Code.NOT_FOUND,
                                   f"model {self.name!r} has no loaded version yet "
                                   f"(base path {self.config.base_path}); "
                                   f"see GET /v1/models/{self.name}")
            return servables[max(servables)]
        if int(version) not in servables:
            raise ServingError(Code.NOT_FOUND,
                               f"model {self.name!r} version {version} is not served; "
                               f"served versions: {sorted(servables)}")
        return servables[int(version)]

    def status(self, version=None) -> list:
        """[(version, state, error_code, error_message)] newest first, TF Serving's states."""
        rows = []
        for v in sorted(self._states, reverse=True):
            if version is not None and v != int(version):
                continue
            err = self._failed.get(v)
            rows.append((v, self._states[v], "UNKNOWN" if err else "OK", err[1] if err else ""))
        if not rows:  # as TF Serving: a model with no version state yet is not found
            raise ServingError(Code.NOT_FOUND, f"model {self.name!r} has no version"
                               + (f" {version}" if version is not None
                                  else f"s yet under {self.config.base_path}"))
        return rows
