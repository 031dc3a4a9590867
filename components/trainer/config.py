"""Configuration of the trainer component (everything but the model's own ModelConfig)."""

import dataclasses
import json

from components.config_fields import from_dict
from components.trainer.tfjob_config import TFJobConfig
from components.trainer.vertex_config import VertexJobConfig

# "local": processes on this machine; "tfjob" / "vertex": replicas on a cluster (cluster_train.py).
LAUNCHERS = ("local", "tfjob", "vertex")


@dataclasses.dataclass(frozen=True)
class TrainerConfig:
    """How the trainer runs and what it exports.

    Attributes:
        workers: worker processes. 1 trains in the calling process with the default
            strategy; N > 1 starts N local `python -m components.trainer.worker`
            processes under MultiWorkerMirroredStrategy (RING all-reduce) on free
            localhost ports. On a cluster (Kubeflow / Vertex) each replica runs the worker
            entry point with the cluster's TF_CONFIG instead (see `worker.py`).
        launcher: who starts the replicas. "local": in process or local worker processes, as
            above. "tfjob": a Kubeflow Training Operator TFJob (Chief + `workers - 1` Worker
            replicas, settings in `tfjob`); "vertex": a Vertex AI CustomJob (chief pool +
            workers pool, settings in `vertex`). Cluster launchers need the Model and ModelRun
            folders (and base model, TransformGraph) on storage every replica reads, e.g. gs://.
        tfjob / vertex: settings of those launchers.
        warm_start: start from `base_model` when one is given (known users/items keep
            their trained rows, new ones start fresh); False ignores it.
        serving_k: k of the `serving_default` signature (capped at the catalogue size).
        backup: checkpoint every epoch with Keras BackupAndRestore, so a restarted worker
            resumes from the last finished epoch.
        max_restarts: local multi-worker runs restart the whole worker group up to this
            many times after a worker dies; a TFJob allows `max_restarts * workers` pod
            restarts (its backoffLimit); Vertex AI restarts the job itself.
        worker_timeout_seconds: a local multi-worker run is stopped after this long.
        eval_k: cut-off of the eval-split Recall/NDCG written to the model card.
        eval_users: users the model card's metrics are computed on at most (a seeded
            sample; all of them when fewer).
        verbose: Keras fit verbosity.
    """

    workers: int = 1
    warm_start: bool = True
    serving_k: int = 10
    backup: bool = True
    max_restarts: int = 2
    worker_timeout_seconds: float = 3600.0
    eval_k: int = 10
    eval_users: int = 10000
    verbose: int = 0
    launcher: str = "local"
    tfjob: TFJobConfig = dataclasses.field(default_factory=TFJobConfig)
    vertex: VertexJobConfig = dataclasses.field(default_factory=VertexJobConfig)

    def __post_init__(self):
        if self.launcher not in LAUNCHERS:
            raise ValueError(f"TrainerConfig.launcher={self.launcher!r} must be one of "
                             f"{LAUNCHERS}")
        # from_json hands the nested settings over as dicts.
        for name, cls in (("tfjob", TFJobConfig), ("vertex", VertexJobConfig)):
            value = getattr(self, name)
            if not isinstance(value, cls):
                object.__setattr__(self, name, from_dict(cls, value, f"TrainerConfig.{name}"))
        for name in ("workers", "serving_k", "eval_k", "eval_users"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"TrainerConfig.{name}={getattr(self, name)!r} must be >= 1")
        for name in ("max_restarts",):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"TrainerConfig.{name}={getattr(self, name)!r} must be >= 0")
        if not self.worker_timeout_seconds > 0:
            raise ValueError("TrainerConfig.worker_timeout_seconds must be > 0")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TrainerConfig":
        if not text:
            return cls()
        return from_dict(cls, json.loads(text), "TrainerConfig")
