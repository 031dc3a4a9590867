"""The Vertex AI CustomJob that runs the trainer's replicas (aiplatform v1 `CustomJob` fields).

Worker pool 0 is the chief (exactly 1 replica, as Vertex AI requires), worker pool 1 holds
the other `workers - 1` replicas. Vertex AI sets each replica's TF_CONFIG with task type
"chief" for pool 0 and "worker" for pool 1 (and CLUSTER_SPEC with "workerpool0" /
"workerpool1"; worker.py reads either), so the pool-0 replica exports the model.
"""

import secrets
from typing import Dict, List, Optional

from components.trainer.tfjob_manifest import BASE_ENV, worker_command
from components.trainer.vertex_config import VertexJobConfig


def new_display_name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _pool(replicas: int, job_path: str, config: VertexJobConfig) -> Dict:
    machine = {"machine_type": config.machine_type}
    if config.accelerator_type:
        machine.update(accelerator_type=config.accelerator_type,
                       accelerator_count=int(config.accelerator_count))
    command = worker_command(job_path)
    env = dict(BASE_ENV, **config.env)
    return {
        "machine_spec": machine,
        "replica_count": replicas,
        "disk_spec": {"boot_disk_type": "pd-ssd",
                      "boot_disk_size_gb": int(config.boot_disk_size_gb)},
        "container_spec": {"image_uri": config.image, "command": command[:3], "args": command[3:],
                           "env": [{"name": k, "value": v} for k, v in sorted(env.items())]},
    }


def build_custom_job(display_name: str, job_path: str, workers: int, config: VertexJobConfig,
                     labels: Optional[Dict[str, str]] = None) -> Dict:
    """The CustomJob as a dict of aiplatform v1 field names (`aiplatform_v1.CustomJob(d)`).

    Args:
        display_name: the job's display name (`new_display_name`).
        job_path: the TrainingJob JSON on shared storage.
        workers: replicas in all (>= 1).
        config: image, machines and policies.
        labels: job labels.

    Raises:
        ValueError: no image, or workers < 1.
    """
    if not config.image:
        raise ValueError("VertexJobConfig.image is empty: set it to the pipeline image "
                         "(recsys pipeline compile --image IMAGE fills it in)")
    if workers < 1:
        raise ValueError(f"workers={workers} must be >= 1")
    pools: List[Dict] = [_pool(1, job_path, config)]
    if workers > 1:
        pools.append(_pool(workers - 1, job_path, config))
    spec = {
        "worker_pool_specs": pools,
        "scheduling": {
            "timeout": {"seconds": int(config.timeout_seconds)},
            "restart_job_on_worker_restart": bool(config.restart_job_on_worker_restart),
        },
    }
    if config.service_account:
        spec["service_account"] = config.service_account
    if config.network:
        spec["network"] = config.network
    return {"display_name": display_name, "labels": {"app": "recsys-trainer", **(labels or {})},
            "job_spec": spec}
