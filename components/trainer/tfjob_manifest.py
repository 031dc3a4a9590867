"""The kubeflow.org/v1 TFJob that runs the trainer's replicas (Training Operator v1.x).

Chief x 1 + Worker x (workers - 1), every replica running the worker entry point on the same
job file. The operator gives each replica `TF_CONFIG = {"cluster": {"chief": [...], "worker":
[...]}, "task": {"type": "chief"|"worker", "index": i}}` with addresses
`<name>-<type>-<i>.<namespace>.svc:2222`; the "chief" task exports the model (worker.py).
"""

import secrets
from typing import Dict, List, Optional

from components.trainer.tfjob_config import TFJobConfig

GROUP, VERSION, PLURAL, KIND = "kubeflow.org", "v1", "tfjobs", "TFJob"
# The operator reads TF_CONFIG's port from this container/port name (its defaults).
CONTAINER = "tensorflow"
PORT_NAME, PORT = "tfjob-port", 2222
# Pod labels the operator sets (pkg/apis/kubeflow.org/v1/common_types.go).
JOB_NAME_LABEL = "training.kubeflow.org/job-name"
REPLICA_TYPE_LABEL = "training.kubeflow.org/replica-type"
REPLICA_INDEX_LABEL = "training.kubeflow.org/replica-index"
WORKER_MODULE = "components.trainer.worker"
# The image sets these too (Dockerfile); repeated so that any image with the package works.
BASE_ENV = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def new_job_name(prefix: str) -> str:
    """`<prefix>-<8 random hex>`: a DNS-1035 label that a retried step never reuses."""
    return f"{prefix}-{secrets.token_hex(4)}"


def worker_command(job_path: str) -> List[str]:
    """The replica's command line (the same for every replica)."""
    return ["python", "-m", WORKER_MODULE, "--job", job_path]


def _container(job_path: str, config: TFJobConfig) -> Dict:
    requests = {"cpu": config.cpu, "memory": config.memory}
    limits = {k: v for k, v in (("cpu", config.cpu_limit), ("memory", config.memory_limit)) if v}
    if config.gpus:
        limits["nvidia.com/gpu"] = str(config.gpus)
    env = dict(BASE_ENV, **config.env)
    command = worker_command(job_path)
    container = {
        "name": CONTAINER,
        "image": config.image,
        "command": command[:3],
        "args": command[3:],
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "ports": [{"name": PORT_NAME, "containerPort": PORT, "protocol": "TCP"}],
        "resources": {"requests": requests, **({"limits": limits} if limits else {})},
    }
    return container


def _replica(replicas: int, job_path: str, config: TFJobConfig, labels: Dict[str, str]) -> Dict:
    annotations = {} if config.istio_sidecar else {"sidecar.istio.io/inject": "false"}
    pod_spec = {"containers": [_container(job_path, config)]}
    if config.service_account:
        pod_spec["serviceAccountName"] = config.service_account
    if config.node_selector:
        pod_spec["nodeSelector"] = dict(config.node_selector)
    return {
        "replicas": replicas,
        "restartPolicy": config.restart_policy,
        "template": {"metadata": {"labels": dict(labels), "annotations": annotations},
                     "spec": pod_spec},
    }


def build_tfjob(name: str, namespace: str, job_path: str, workers: int, config: TFJobConfig,
                max_restarts: int, labels: Optional[Dict[str, str]] = None) -> Dict:
    """The TFJob manifest (a plain dict, as `CustomObjectsApi` sends it).

    Args:
        name: TFJob name (`new_job_name`).
        namespace: its namespace.
        job_path: the TrainingJob JSON on shared storage.
        workers: replicas in all (>= 1): Chief x 1 + Worker x (workers - 1).
        config: image, resources and policies.
        max_restarts: group restarts allowed; the job's backoffLimit counts pod restarts,
            so it gets `max_restarts * workers`.
        labels: extra labels of the TFJob and its pods.

    Raises:
        ValueError: no image, or workers < 1.
    """
    if not config.image:
        raise ValueError("TFJobConfig.image is empty: set it to the pipeline image "
                         "(recsys pipeline compile --image IMAGE fills it in)")
    if workers < 1:
        raise ValueError(f"workers={workers} must be >= 1")
    labels = {"app.kubernetes.io/name": "recsys-trainer", **(labels or {})}
    specs = {"Chief": _replica(1, job_path, config, labels)}
    if workers > 1:
        specs["Worker"] = _replica(workers - 1, job_path, config, labels)
    run_policy = {"cleanPodPolicy": config.clean_pod_policy,
                  "backoffLimit": int(max_restarts) * workers,
                  "activeDeadlineSeconds": int(config.timeout_seconds)}
    if config.ttl_seconds_after_finished:
        run_policy["ttlSecondsAfterFinished"] = int(config.ttl_seconds_after_finished)
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"runPolicy": run_policy, "tfReplicaSpecs": specs},
    }
