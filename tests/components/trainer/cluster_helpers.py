"""What the cluster platforms do with our job specs, modelled for tests (no cluster here).

- `validate_tfjob`: the API server's check of a TFJob against the Training Operator's CRD
  schema (vendored in testdata/, see its README) with strict field validation, plus the
  operator's admission webhook rules (pkg/webhooks/tensorflow/tfjob_webhook.go, v1.9.0).
- `operator_tf_config`: the TF_CONFIG the operator gives a replica
  (pkg/controller.v1/tensorflow/tensorflow.go: genClusterSpec / genTFConfigJSONStr).
- `vertex_env`: the TF_CONFIG and CLUSTER_SPEC Vertex AI gives a replica of a CustomJob.
"""

import copy
import functools
import json
import os
import re
from typing import Dict, List

import jsonschema

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "testdata", "tfjob_v1_openapi_schema.json")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def _strict(schema):
    """Rejects unknown fields, as `kubectl apply` (fieldValidation=Strict) does, instead of
    pruning them silently: each object schema with `properties` gets additionalProperties false."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


@functools.lru_cache(maxsize=1)
def tfjob_validator() -> jsonschema.Draft7Validator:
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = _strict(json.load(f))
    return jsonschema.Draft7Validator(schema)


def schema_errors(manifest: Dict) -> List[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in tfjob_validator().iter_errors(manifest)]


def webhook_errors(manifest: Dict) -> List[str]:
    """The operator's admission webhook checks (validateTFJob)."""
    errors = []
    name = manifest.get("metadata", {}).get("name", "")
    if len(name) > 63 or not _DNS1035.match(name):
        errors.append(f"metadata.name {name!r} is not a DNS-1035 label")
    specs = manifest.get("spec", {}).get("tfReplicaSpecs")
    if not specs:
        errors.append("spec.tfReplicaSpecs is required")
    chiefs = 0
    for rtype, spec in (specs or {}).items():
        containers = spec.get("template", {}).get("spec", {}).get("containers") or []
        chiefs += rtype in ("Chief", "Master")
        if not containers:
            errors.append(f"{rtype}: containers must be specified")
        if any(not c.get("image") for c in containers):
            errors.append(f"{rtype}: every container needs an image")
        if not any(c.get("name") == "tensorflow" for c in containers):
            errors.append(f"{rtype}: needs a container named tensorflow")
    if chiefs > 1:
        errors.append("at most one Chief or Master replica")
    return errors


def validate_tfjob(manifest: Dict) -> None:
    errors = schema_errors(manifest) + webhook_errors(manifest)
    assert not errors, "\n".join(errors)


def _port(spec: Dict) -> int:
    for container in spec["template"]["spec"]["containers"]:
        if container["name"] == "tensorflow":
            for port in container.get("ports") or []:
                if port.get("name") == "tfjob-port":
                    return int(port["containerPort"])
    return 2222


def operator_tf_config(manifest: Dict, replica_type: str, index: int) -> Dict:
    """TF_CONFIG of replica `replica_type` ("Chief", "Worker") number `index` of the TFJob."""
    name, namespace = manifest["metadata"]["name"], manifest["metadata"]["namespace"]
    cluster = {}
    for rtype, spec in manifest["spec"]["tfReplicaSpecs"].items():
        rt = rtype.lower()
        cluster[rt] = [f"{name}-{rt}-{i}.{namespace}.svc:{_port(spec)}"
                       for i in range(int(spec.get("replicas", 1)))]
    return {"cluster": cluster, "task": {"type": replica_type.lower(), "index": index},
            "environment": "cloud"}


def vertex_env(request: Dict, pool: int, index: int) -> Dict[str, str]:
    """TF_CONFIG and CLUSTER_SPEC of replica `index` of worker pool `pool` of a CustomJob."""
    pools = request["job_spec"]["worker_pool_specs"]
    hosts = {f"workerpool{p}": [f"workerpool{p}-{i}:2222" for i in range(spec["replica_count"])]
             for p, spec in enumerate(pools)}
    tf_names = {"workerpool0": "chief", "workerpool1": "worker"}
    tf_config = {"cluster": {tf_names[k]: v for k, v in hosts.items()},
                 "task": {"type": tf_names[f"workerpool{pool}"], "index": index},
                 "environment": "cloud"}
    cluster_spec = {"cluster": hosts, "task": {"type": f"workerpool{pool}", "index": index},
                    "environment": "cloud"}
    return {"TF_CONFIG": json.dumps(tf_config), "CLUSTER_SPEC": json.dumps(cluster_spec)}


def on_localhost(spec: Dict, ports: Dict[str, int]) -> Dict:
    """`spec` (a TF_CONFIG or CLUSTER_SPEC dict) with each host:port replaced by 127.0.0.1:<port>
    from `ports` {"host:port": free port}: the cluster's addresses on this machine."""
    out = copy.deepcopy(spec)
    out["cluster"] = {k: [f"127.0.0.1:{ports[a]}" for a in v] for k, v in spec["cluster"].items()}
    return out


class LocalPlatform:
    """A launcher that plays the platform on this machine: it builds the real TFJob manifest or
    CustomJob request, then runs each replica's own command and environment as a local process
    with the TF_CONFIG (and, for Vertex AI, CLUSTER_SPEC) the platform would set, its host names
    mapped to free 127.0.0.1 ports. Only `python` becomes this interpreter."""

    def __init__(self, platform: str, config, timeout: float = 1200.0):
        self.platform, self.config, self.timeout = platform, config, timeout
        self.logs: Dict[str, str] = {}

    def _replicas(self, job_path: str, workers: int, max_restarts: int):
        """[(replica name, container command, container env, platform env)]."""
        from google.cloud import aiplatform_v1

        from components.trainer import tfjob_manifest, vertex_request

        out = []
        if self.platform == "tfjob":
            manifest = tfjob_manifest.build_tfjob("recsys-train-local", "kubeflow-user", job_path,
                                                  workers, self.config.tfjob, max_restarts)
            validate_tfjob(manifest)
            for rtype, spec in manifest["spec"]["tfReplicaSpecs"].items():
                container = spec["template"]["spec"]["containers"][0]
                env = {e["name"]: e["value"] for e in container["env"]}
                for i in range(spec["replicas"]):
                    tf_config = operator_tf_config(manifest, rtype, i)
                    out.append((f"{rtype.lower()}-{i}", container["command"] + container["args"],
                                env, {"TF_CONFIG": tf_config}))
            return out
        request = vertex_request.build_custom_job("recsys-train-local", job_path, workers,
                                                  self.config.vertex)
        aiplatform_v1.CustomJob(request)  # the request the API would get
        for pool, spec in enumerate(request["job_spec"]["worker_pool_specs"]):
            container = spec["container_spec"]
            env = {e["name"]: e["value"] for e in container["env"]}
            for i in range(spec["replica_count"]):
                platform_env = {k: json.loads(v) for k, v in vertex_env(request, pool, i).items()}
                out.append((f"workerpool{pool}-{i}", container["command"] + container["args"], env,
                            platform_env))
        return out

    def run(self, job_path: str, workers: int, max_restarts: int, log_dir: str) -> Dict:
        import subprocess
        import sys

        import portpicker

        replicas = self._replicas(job_path, workers, max_restarts)
        hosts = sorted({a for *_, env in replicas for v in env.values() for a in
                        [x for xs in v["cluster"].values() for x in xs]})
        ports = {host: portpicker.pick_unused_port() for host in hosts}
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
        processes = []
        for name, command, env, platform_env in replicas:
            full_env = dict(os.environ, **env, PYTHONPATH=repo)
            full_env.pop("TF_CONFIG", None)
            for key, value in platform_env.items():
                full_env[key] = json.dumps(on_localhost(value, ports))
            argv = [sys.executable if command[0] == "python" else command[0]] + command[1:]
            processes.append((name, subprocess.Popen(argv, env=full_env, cwd=repo, text=True,
                                                     stdout=subprocess.PIPE,
                                                     stderr=subprocess.STDOUT)))
        for name, process in processes:
            self.logs[name] = process.communicate(timeout=self.timeout)[0]
        failed = [(n, p.returncode) for n, p in processes if p.returncode]
        assert not failed, "\n".join(f"{n} exited {c}:\n{self.logs[n][-3000:]}" for n, c in failed)
        return {"launcher": self.platform, "name": "recsys-train-local", "state": "Succeeded"}
