"""Runs the trainer's replicas as a TFJob: submit, poll its conditions, report, clean up.

Talks to the cluster with the kubernetes Python client: in a pod (a Kubeflow Pipelines step)
through the pod's service account, which needs create/get/delete on `tfjobs.kubeflow.org`
and get/list on `pods` and `pods/log` in the job's namespace; elsewhere through kubeconfig.
"""

import logging
import os
import time
from typing import Dict, List, Optional

import tensorflow as tf

from components.trainer import tfjob_manifest as M
from components.trainer.tfjob_config import TFJobConfig

log = logging.getLogger(__name__)

_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
_TRANSIENT_POLL_ERRORS = 5  # consecutive failed status reads before giving up
_LOG_BYTES = 1 << 20
_CREATE_HINTS = {
    404: "is the Kubeflow Training Operator (v1, TFJob CRD) installed?",
    403: "grant this pod's service account create/get/delete on tfjobs.kubeflow.org and "
         "get/list on pods, pods/log in that namespace",
}


def kube_apis(context: str = ""):
    """(CustomObjectsApi, CoreV1Api) from the in-cluster service account, else kubeconfig."""
    from kubernetes import client, config

    try:
        config.load_incluster_config()
    except config.ConfigException:
        config.load_kube_config(context=context or None)
    return client.CustomObjectsApi(), client.CoreV1Api()


def own_namespace() -> str:
    """The namespace of the pod this runs in, else "default"."""
    if os.path.isfile(_NAMESPACE_FILE):
        with open(_NAMESPACE_FILE, encoding="utf-8") as f:
            return f.read().strip() or "default"
    return "default"


def job_state(tfjob: Dict) -> Optional[str]:
    """"Succeeded" / "Failed" once the operator marked the TFJob finished, else None."""
    for condition in (tfjob.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Succeeded", "Failed") and condition.get("status") == "True":
            return condition["type"]
    return None


def _last_condition(tfjob: Dict) -> str:
    conditions = (tfjob.get("status") or {}).get("conditions") or []
    last = conditions[-1] if conditions else {}
    return f"{last.get('type', 'no status')} ({last.get('reason', '')}): {last.get('message', '')}"


class TFJobLauncher:
    """Submits one TFJob per training run and waits for it.

    Args:
        config: the launcher's settings.
        custom_api / core_api: kubernetes `CustomObjectsApi` / `CoreV1Api` (default: from the
            in-cluster service account or kubeconfig).
    """

    def __init__(self, config: TFJobConfig, custom_api=None, core_api=None):
        if custom_api is None or core_api is None:
            custom_api, core_api = kube_apis(config.kube_context)
        self.config, self.custom, self.core = config, custom_api, core_api
        self.namespace = config.namespace or own_namespace()

    def run(self, job_path: str, workers: int, max_restarts: int, log_dir: str) -> Dict:
        """Runs the job to the end.

        Args:
            job_path: the TrainingJob JSON on shared storage.
            workers: replicas in all (chief included).
            max_restarts: group restarts allowed (TrainerConfig.max_restarts).
            log_dir: the ModelRun folder; replica logs go to `<log_dir>/worker_logs/`.

        Returns:
            {"launcher", "name", "namespace", "state"} of the finished job.

        Raises:
            RuntimeError: the job failed (with the failing replicas' exit codes, messages and
                log tail), timed out, vanished, or could not be created.
        """
        name = M.new_job_name(self.config.name_prefix)
        manifest = M.build_tfjob(name, self.namespace, job_path, workers, self.config,
                                 max_restarts)
        self._create(manifest)
        log.info("trainer: submitted TFJob %s/%s (%d replicas)", self.namespace, name, workers)
        try:
            tfjob = self._wait(name)
        except BaseException:
            self._delete(name)  # never leave a job running that nobody waits for
            raise
        state = job_state(tfjob)
        pods = self._pods(name)
        self._save_logs(pods, os.path.join(log_dir, "worker_logs"))
        cleanup = self.config.cleanup
        if cleanup == "always" or (cleanup == "on_success" and state == "Succeeded"):
            self._delete(name)
        if state != "Succeeded":
            raise RuntimeError(self._failure(name, tfjob, pods))
        return {"launcher": "tfjob", "name": name, "namespace": self.namespace, "state": state}

    def _call(self, method: str, *args):
        """A CustomObjectsApi call on this namespace's TFJobs."""
        return getattr(self.custom, method)(M.GROUP, M.VERSION, self.namespace, M.PLURAL, *args)

    def _create(self, manifest: Dict) -> None:
        from kubernetes.client.rest import ApiException

        try:
            self._call("create_namespaced_custom_object", manifest)
        except ApiException as err:
            raise RuntimeError(
                f"could not create TFJob {manifest['metadata']['name']} in namespace "
                f"{self.namespace!r}: {err.status} {err.reason}; "
                f"{_CREATE_HINTS.get(err.status, '')}\n{err.body or ''}") from err

    def _wait(self, name: str) -> Dict:
        from kubernetes.client.rest import ApiException

        deadline = time.monotonic() + self.config.timeout_seconds
        errors, tfjob = 0, {}
        while True:
            try:
                tfjob = self._call("get_namespaced_custom_object", name)
                errors = 0
            except ApiException as err:
                where = f"TFJob {self.namespace}/{name}"
                if err.status == 404:
                    raise RuntimeError(f"{where} disappeared while running (deleted by someone "
                                       "else?)") from err
                errors += 1
                if errors >= _TRANSIENT_POLL_ERRORS:
                    raise RuntimeError(f"cannot read {where}: {err.status} {err.reason}") from err
            if job_state(tfjob):
                return tfjob
            if time.monotonic() > deadline:
                raise RuntimeError(f"TFJob {self.namespace}/{name} did not finish within "
                                   f"{self.config.timeout_seconds}s (last status "
                                   f"{_last_condition(tfjob)}); deleted it")
            time.sleep(self.config.poll_seconds)

    def _delete(self, name: str) -> None:
        try:
            self._call("delete_namespaced_custom_object", name)
        except Exception as err:  # pylint: disable=broad-except
            # Cleanup must not hide the run's own outcome; the TTL removes the job later.
            log.warning("trainer: could not delete TFJob %s/%s: %s", self.namespace, name, err)

    def _pods(self, name: str) -> List:
        try:
            pods = self.core.list_namespaced_pod(self.namespace,
                                                 label_selector=f"{M.JOB_NAME_LABEL}={name}")
            return list(pods.items)
        except Exception as err:  # pylint: disable=broad-except
            log.warning("trainer: could not list the pods of TFJob %s: %s", name, err)
            return []

    def _log(self, pod, tail: Optional[int] = None) -> str:
        try:
            return self.core.read_namespaced_pod_log(pod.metadata.name, self.namespace,
                                                     container=M.CONTAINER, tail_lines=tail,
                                                     limit_bytes=_LOG_BYTES)
        except Exception as err:  # pylint: disable=broad-except
            return f"(no log: {err})"

    def _save_logs(self, pods: List, folder: str) -> None:
        if not pods:
            return
        tf.io.gfile.makedirs(folder)
        for pod in pods:
            with tf.io.gfile.GFile(os.path.join(folder, f"{pod.metadata.name}.log"), "w") as f:
                f.write(self._log(pod) or "")

    def _failure(self, name: str, tfjob: Dict, pods: List) -> str:
        lines = [f"TFJob {self.namespace}/{name} failed: {_last_condition(tfjob)}"]
        failed = [(pod, t) for pod in pods for t in _terminations(pod) if t.exit_code]
        for pod, term in failed:
            labels = pod.metadata.labels or {}
            keys = (M.REPLICA_TYPE_LABEL, M.REPLICA_INDEX_LABEL)
            replica = " ".join(labels.get(k, "?") for k in keys)
            lines.append(f"  replica {replica} (pod {pod.metadata.name}) exited {term.exit_code} "
                         f"{term.reason or ''}: {(term.message or '').strip()}")
        if failed:
            pod = failed[0][0]
            lines.append(f"last lines of {pod.metadata.name}:\n{self._log(pod, tail=30)}")
        return "\n".join(lines)


def _terminations(pod) -> List:
    """The tensorflow container's current and previous terminations (OnFailure restarts it in
    place, so an earlier failure is in `last_state`)."""
    out = []
    for status in (pod.status.container_statuses or []) if pod.status else []:
        if status.name != M.CONTAINER:
            continue
        for state in (status.state, status.last_state):
            if state is not None and state.terminated is not None:
                out.append(state.terminated)
    return out
