"""TFJobLauncher against a fake Kubernetes API: success, failure with the replica's message,
timeout, and API errors."""

import os

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from components.trainer.tfjob_config import TFJobConfig
from components.trainer.tfjob_launcher import TFJobLauncher
from tests.components.trainer import cluster_helpers


def _status(*types):
    return {"status": {"conditions": [
        {"type": t, "status": "True", "reason": f"TFJob{t}", "message": f"TFJob is {t.lower()}."}
        for t in types]}}


class FakeKubernetes:
    """CustomObjectsApi + CoreV1Api: records calls, answers reads from a script."""

    def __init__(self, statuses, pods=(), logs=None, create_error=None):
        self.statuses, self.pods, self.logs = list(statuses), list(pods), logs or {}
        self.create_error = create_error
        self.created, self.deleted, self.reads = [], [], 0

    def create_namespaced_custom_object(self, group, version, namespace, plural, body):
        assert (group, version, plural) == ("kubeflow.org", "v1", "tfjobs")
        if self.create_error:
            raise self.create_error
        self.created.append((namespace, body))
        return body

    def get_namespaced_custom_object(self, group, version, namespace, plural, name):
        self.reads += 1
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(status, Exception):
            raise status
        return {**self.created[-1][1], **status}

    def delete_namespaced_custom_object(self, group, version, namespace, plural, name):
        self.deleted.append((namespace, name))

    def list_namespaced_pod(self, namespace, label_selector):
        name = self.created[-1][1]["metadata"]["name"]
        assert label_selector == f"training.kubeflow.org/job-name={name}"
        return client.V1PodList(items=self.pods)

    def read_namespaced_pod_log(self, name, namespace, container, tail_lines=None,
                                limit_bytes=None):
        assert container == "tensorflow"
        lines = self.logs.get(name, "").splitlines()
        return "\n".join(lines[-tail_lines:] if tail_lines else lines)


def _pod(name, rtype, index, exit_code=0, message=None):
    terminated = client.V1ContainerStateTerminated(exit_code=exit_code, message=message,
                                                   reason="Error" if exit_code else "Completed")
    status = client.V1ContainerStatus(name="tensorflow", image="i", image_id="", ready=False,
                                      restart_count=0,
                                      state=client.V1ContainerState(terminated=terminated))
    labels = {"training.kubeflow.org/replica-type": rtype,
              "training.kubeflow.org/replica-index": str(index)}
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels=labels),
                        status=client.V1PodStatus(container_statuses=[status]))


def _launcher(fake, **config):
    config = TFJobConfig(**{"image": "img", "namespace": "ml", "poll_seconds": 0.001, **config})
    return TFJobLauncher(config, custom_api=fake, core_api=fake)


def test_success_submits_a_valid_job_saves_logs_and_cleans_up(tmp_path):
    fake = FakeKubernetes([_status("Created"), _status("Created", "Running"),
                           _status("Created", "Running", "Succeeded")],
                          pods=[_pod("j-chief-0", "chief", 0), _pod("j-worker-0", "worker", 0)],
                          logs={"j-chief-0": "epoch 1\ndone", "j-worker-0": "epoch 1"})
    outcome = _launcher(fake).run("gs://b/job.json", 2, 1, str(tmp_path))
    (namespace, manifest), = fake.created
    cluster_helpers.validate_tfjob(manifest)
    assert namespace == "ml" and outcome["name"] == manifest["metadata"]["name"]
    assert outcome["state"] == "Succeeded" and fake.reads == 3
    assert fake.deleted == [("ml", outcome["name"])]  # cleanup "on_success"
    with open(os.path.join(tmp_path, "worker_logs", "j-chief-0.log")) as f:
        assert f.read() == "epoch 1\ndone"


def test_failure_names_the_failing_replica_with_its_message_and_log():
    log = "\n".join(f"line {i}" for i in range(100)) + "\nValueError: no train interactions"
    fake = FakeKubernetes([_status("Created", "Running", "Failed")],
                          pods=[_pod("j-chief-0", "chief", 0),
                                _pod("j-worker-1", "worker", 1, exit_code=1, message="boom")],
                          logs={"j-worker-1": log})
    with pytest.raises(RuntimeError) as err:
        _launcher(fake).run("gs://b/job.json", 3, 1, "ram://logs")
    message = str(err.value)
    assert "Failed (TFJobFailed): TFJob is failed." in message
    assert "replica worker 1 (pod j-worker-1) exited 1 Error: boom" in message
    assert "ValueError: no train interactions" in message and "line 5\n" not in message
    assert fake.deleted == []  # kept for inspection ("on_success"); the TTL removes it later


def test_cleanup_always_deletes_a_failed_job_too():
    fake = FakeKubernetes([_status("Failed")])
    with pytest.raises(RuntimeError, match="failed"):
        _launcher(fake, cleanup="always").run("gs://b/job.json", 1, 0, "ram://logs")
    assert len(fake.deleted) == 1


def test_timeout_deletes_the_job():
    fake = FakeKubernetes([_status("Created", "Running")])
    with pytest.raises(RuntimeError, match="did not finish within 1s .*Running"):
        _launcher(fake, timeout_seconds=1, poll_seconds=0.05).run("gs://b/j.json", 2, 1, "ram://l")
    assert len(fake.deleted) == 1


def test_transient_read_errors_are_retried():
    fake = FakeKubernetes([ApiException(status=503), ApiException(status=500),
                           _status("Succeeded")])
    assert _launcher(fake).run("gs://b/job.json", 2, 1, "ram://logs")["state"] == "Succeeded"


def test_a_job_deleted_by_someone_else_fails_clearly():
    fake = FakeKubernetes([_status("Running"), ApiException(status=404)])
    with pytest.raises(RuntimeError, match="disappeared"):
        _launcher(fake).run("gs://b/job.json", 2, 1, "ram://logs")


@pytest.mark.parametrize("status, hint", [(404, "Training Operator"), (403, "service account")])
def test_create_errors_say_how_to_fix(status, hint):
    fake = FakeKubernetes([_status("Succeeded")], create_error=ApiException(status=status))
    with pytest.raises(RuntimeError, match=hint):
        _launcher(fake).run("gs://b/job.json", 2, 1, "ram://logs")
