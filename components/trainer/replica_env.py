"""What a replica reads from its platform: TF_CONFIG (or Vertex AI's CLUSTER_SPEC) and inputs.

Platforms name the replicas differently:
- Kubeflow's TFJob: TF_CONFIG cluster keys are the lower-cased replica types, "chief" and
  "worker" here; task type "chief" for the Chief replica.
- Vertex AI: TF_CONFIG uses "chief" for worker pool 0 and "worker" for pool 1; CLUSTER_SPEC
  (always set for custom containers) uses "workerpool0" / "workerpool1".
- AI Platform's legacy runtimes call the chief "master".
MultiWorkerMirroredStrategy knows "chief" and "worker" only, so the others are mapped onto them.
"""

import dataclasses
import json
import tempfile
from typing import Mapping, Optional

_POOLS = {"workerpool0": "chief", "workerpool1": "worker"}
_ALIASES = {"master": "chief"}


def _renamed(spec: dict, names: Mapping[str, str], source: str) -> dict:
    task = dict(spec.get("task") or {})
    task_type = task.get("type")
    if task_type not in names and task_type not in names.values():
        raise ValueError(f"{source}: task type {task_type!r} is not a training replica; this "
                         f"trainer runs only {sorted(set(names) | set(names.values()))}")
    task["type"] = names.get(task_type, task_type)
    cluster = {}
    for key, addresses in (spec.get("cluster") or {}).items():
        if key in names or key in names.values():
            cluster.setdefault(names.get(key, key), []).extend(addresses)
    return {"cluster": cluster, "task": task}


def platform_tf_config(environ: Mapping[str, str]) -> Optional[str]:
    """The TF_CONFIG this replica should run with, from what its platform set; None when the
    platform set neither TF_CONFIG nor CLUSTER_SPEC (a single local process).

    Raises:
        ValueError: this replica's task is not a training replica (e.g. a parameter server).
    """
    if environ.get("TF_CONFIG"):
        spec = json.loads(environ["TF_CONFIG"])
        if not spec.get("cluster"):
            return None
        return json.dumps(_renamed(spec, {**_ALIASES, "worker": "worker"}, "TF_CONFIG"))
    if environ.get("CLUSTER_SPEC"):
        return json.dumps(_renamed(json.loads(environ["CLUSTER_SPEC"]), _POOLS, "CLUSTER_SPEC"))
    return None


def with_local_inputs(job):
    """`job` whose inputs folder is on local disk: TrainingInputs reads local files only, so an
    inputs folder behind a URI (gs://...) is copied to a temporary folder first."""
    from components.trainer import shared_storage

    if shared_storage.scheme(job.inputs_dir) is None:
        return job
    local = tempfile.mkdtemp(prefix="recsys-inputs-")
    shared_storage.copy_tree(job.inputs_dir, local)
    return dataclasses.replace(job, inputs_dir=local)
