"""Settings of the "tfjob" launcher: the replicas run as a Kubeflow Training Operator TFJob."""

import dataclasses
import json
import re
from typing import Dict

from components.config_fields import from_dict

RESTART_POLICIES = ("OnFailure", "ExitCode", "Never")
CLEAN_POD_POLICIES = ("Running", "All", "None")
CLEANUPS = ("always", "on_success", "never")
# Quantities as the API server accepts them (e.g. "2", "500m", "8Gi", "1.5G").
_QUANTITY = re.compile(r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]"
                       r"|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
_PREFIX = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_PREFIX = 30  # the job name gets "-<8 hex>"; pods "-worker-<i>": all within 63 characters


@dataclasses.dataclass(frozen=True)
class TFJobConfig:
    """How `TrainerConfig.launcher="tfjob"` runs the replicas: one kubeflow.org/v1 TFJob with a
    Chief replica and `workers - 1` Worker replicas, each running
    `python -m components.trainer.worker --job <job.json>` in `image`.

    Attributes:
        image: container image holding this package (the pipeline image);
            `recsys pipeline compile --image` fills it in when empty.
        namespace: namespace of the TFJob; "" = the trainer pod's own namespace (in a
            cluster), else "default".
        service_account: serviceAccountName of the replica pods, e.g. one bound to a cloud
            identity that reads and writes the pipeline root; "" = the namespace's default.
        cpu / memory: requests per replica (Kubernetes quantities).
        cpu_limit / memory_limit: limits per replica; "" = none.
        gpus: `nvidia.com/gpu` per replica.
        node_selector / env: nodeSelector and extra environment variables of the replicas.
        restart_policy: "OnFailure" restarts a failed replica in place, on the same address,
            so the group reconnects and resumes from the last backup (what
            MultiWorkerMirroredStrategy needs); "ExitCode" restarts only exit codes 128-255
            (killed, preempted); "Never".
        clean_pod_policy: pods the operator stops when the job ends: "Running", "All", "None".
        cleanup: delete the TFJob when done: "always", "on_success" (keep a failed one to
            inspect), "never".
        ttl_seconds_after_finished: the operator deletes a finished TFJob after this long,
            even when the launcher died before its own cleanup (0 = never).
        timeout_seconds: limit of the whole job, queueing included (also its
            activeDeadlineSeconds); the launcher deletes the job after it.
        poll_seconds: status polling interval.
        name_prefix: TFJob name prefix (DNS-1035 label, at most 30 characters); a random
            suffix keeps a retried pipeline step from colliding with its predecessor.
        istio_sidecar: let Istio inject its sidecar (off by default: a running sidecar keeps
            a finished replica's pod from completing).
        kube_context: kubeconfig context used outside a cluster ("" = the current one).
    """

    image: str = ""
    namespace: str = ""
    service_account: str = ""
    cpu: str = "2"
    memory: str = "8Gi"
    cpu_limit: str = ""
    memory_limit: str = ""
    gpus: int = 0
    node_selector: Dict[str, str] = dataclasses.field(default_factory=dict)
    env: Dict[str, str] = dataclasses.field(default_factory=dict)
    restart_policy: str = "OnFailure"
    clean_pod_policy: str = "Running"
    cleanup: str = "on_success"
    ttl_seconds_after_finished: int = 86400
    timeout_seconds: int = 86400
    poll_seconds: float = 15.0
    name_prefix: str = "recsys-train"
    istio_sidecar: bool = False
    kube_context: str = ""

    def __post_init__(self):
        _one_of("restart_policy", self.restart_policy, RESTART_POLICIES)
        _one_of("clean_pod_policy", self.clean_pod_policy, CLEAN_POD_POLICIES)
        _one_of("cleanup", self.cleanup, CLEANUPS)
        for name in ("cpu", "memory", "cpu_limit", "memory_limit"):
            value = getattr(self, name)
            if value and not _QUANTITY.match(str(value)):
                raise ValueError(f"TFJobConfig.{name}={value!r} is not a Kubernetes quantity "
                                 "(e.g. '2', '500m', '8Gi')")
        if int(self.gpus) < 0 or int(self.ttl_seconds_after_finished) < 0:
            raise ValueError("TFJobConfig.gpus and ttl_seconds_after_finished must be >= 0")
        if int(self.timeout_seconds) < 1 or not float(self.poll_seconds) > 0:
            raise ValueError("TFJobConfig.timeout_seconds must be >= 1 and poll_seconds > 0")
        if len(self.name_prefix) > MAX_PREFIX or not _PREFIX.match(self.name_prefix):
            raise ValueError(f"TFJobConfig.name_prefix={self.name_prefix!r} must be a DNS-1035 "
                             "label (a-z, 0-9, '-'; starts with a letter) of <= "
                             f"{MAX_PREFIX} chars")
        for name in ("node_selector", "env"):
            as_strings = {str(k): str(v) for k, v in dict(getattr(self, name)).items()}
            object.__setattr__(self, name, as_strings)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data) -> "TFJobConfig":
        return from_dict(cls, data, "TFJobConfig")

    @classmethod
    def from_json(cls, text: str) -> "TFJobConfig":
        return cls.from_dict(json.loads(text)) if text else cls()


def _one_of(name: str, value: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"TFJobConfig.{name}={value!r} must be one of {allowed}")
