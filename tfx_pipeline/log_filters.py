"""Known harmless framework warnings, dropped by logger and message while a pipeline runs.

Each entry names the logger, the start of the message and why it is harmless here; nothing
else is filtered, so a new or real warning still shows. Applied by `progress.report_progress`
(the `recsys pipeline run` console) and `recsys train`, never at import time.
"""

import dataclasses
import logging
from typing import List, Tuple


@dataclasses.dataclass(frozen=True)
class KnownNoise:
    """A warning that says nothing actionable about a normal run.

    Attributes:
        logger: the logger that emits it (the filter sits on that logger only).
        prefix: the start of the message (or of the worker's message that Beam's local runner
            relays as `Worker: severity: ... message: "<message>"`).
        why: why it is harmless here (documentation; shown by `describe`).
    """

    logger: str
    prefix: str
    why: str


KNOWN_NOISE: Tuple[KnownNoise, ...] = (
    KnownNoise(
        "absl", "ArtifactQuery.property_predicate is not supported.",
        "TFX 1.21's channel resolver tests `if artifact_query.property_predicate:`, and a "
        "protobuf message is always truthy, so it warns for every input channel although the "
        "compiler never sets a predicate (HasField is False); nothing is ignored."),
    KnownNoise(
        "absl", "ContextQuery.property_predicate is not supported.",
        "The same TFX test on the context half of a channel query."),
    KnownNoise(
        "tensorflow", "Skipping full serialization of TF-Keras layer",
        "tf-keras logs this for sub-layers a saved model never called (agents a stage does not "
        "train); the serving signatures are traced and saved in full regardless."),
    KnownNoise(
        "apache_beam.runners.portability.local_job_service", "No semi_persistent_directory found",
        "A local Beam worker process has no staging folder to load a pickled main session "
        "from; the package's pipelines pickle none (their code lives in installed modules)."),
    KnownNoise(
        "absl", "Function `",
        "TensorFlow's saver logs at INFO, for each serving signature, that the names of the "
        "variables and tables the function captures (`table_handle`, `resource`, ...) are "
        "normalised in the SavedModel; the signatures' own input names are unchanged."),
    KnownNoise(
        "absl", "Sharding callback duration",
        "TensorFlow's checkpoint writer logs the time of its (no-op) shard split at INFO for "
        "every checkpoint; `recsys train` shows INFO, and the trainer checkpoints each epoch."),
)


# How Beam's local runner relays a worker process's log record to the launching process.
_RELAYED, _RELAYED_MESSAGE = "Worker: severity: ", 'message: "'


class _Filter(logging.Filter):
    def __init__(self, prefixes: List[str]):
        super().__init__()
        self._prefixes = tuple(prefixes)
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            return True  # Errors always pass.
        try:
            message = record.getMessage()
        except Exception:  # pylint: disable=broad-except
            return True
        if message.startswith(_RELAYED):
            start = message.find(_RELAYED_MESSAGE)
            message = message[start + len(_RELAYED_MESSAGE):] if start >= 0 else message
        if message.startswith(self._prefixes):
            self.dropped += 1
            return False
        return True


class quiet_known_noise:  # pylint: disable=invalid-name
    """Context manager adding the `KNOWN_NOISE` filters to their loggers, and removing them.

    Attributes:
        dropped: records dropped so far, summed over the loggers.
    """

    def __init__(self, noise: Tuple[KnownNoise, ...] = KNOWN_NOISE):
        by_logger = {}
        for item in noise:
            by_logger.setdefault(item.logger, []).append(item.prefix)
        self._filters = {name: _Filter(prefixes) for name, prefixes in by_logger.items()}

    @property
    def dropped(self) -> int:
        return sum(f.dropped for f in self._filters.values())

    def __enter__(self):
        for name, log_filter in self._filters.items():
            logging.getLogger(name).addFilter(log_filter)
        return self

    def __exit__(self, *exc):
        for name, log_filter in self._filters.items():
            logging.getLogger(name).removeFilter(log_filter)
        return False


def describe() -> str:
    """One line per filtered message and why (for docs and `--help` texts)."""
    return "\n".join(f"{n.logger}: {n.prefix!r} -- {n.why}" for n in KNOWN_NOISE)
