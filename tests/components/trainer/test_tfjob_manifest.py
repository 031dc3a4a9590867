"""The TFJob manifest against the Training Operator's CRD schema, webhook and TF_CONFIG."""

import copy
import json

import pytest

from components.trainer import replica_env, tfjob_manifest
from components.trainer.tfjob_config import TFJobConfig
from tests.components.trainer import cluster_helpers

JOB = "gs://bucket/root/trainer/model_run/7/.trainer_work/job.json"


def _manifest(workers=3, **config):
    config = TFJobConfig(**{"image": "europe-docker.pkg.dev/p/r/recsys:2", **config})
    name = tfjob_manifest.new_job_name(config.name_prefix)
    return tfjob_manifest.build_tfjob(name, "kubeflow-user", JOB, workers, config, max_restarts=2)


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_manifest_is_valid_for_the_operator(workers):
    manifest = _manifest(workers)
    cluster_helpers.validate_tfjob(manifest)
    specs = manifest["spec"]["tfReplicaSpecs"]
    assert specs["Chief"]["replicas"] == 1
    assert ("Worker" in specs) == (workers > 1)
    if workers > 1:
        assert specs["Worker"]["replicas"] == workers - 1
    assert manifest["spec"]["runPolicy"]["backoffLimit"] == 2 * workers


def test_every_option_stays_valid():
    manifest = _manifest(4, namespace="ml", service_account="trainer-sa", cpu="500m", memory="2Gi",
                         cpu_limit="4", memory_limit="16Gi", gpus=1, node_selector={"pool": "cpu"},
                         env={"GOOGLE_CLOUD_PROJECT": "p"}, restart_policy="ExitCode",
                         clean_pod_policy="All", ttl_seconds_after_finished=0, istio_sidecar=True)
    cluster_helpers.validate_tfjob(manifest)
    pod = manifest["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]
    assert pod["serviceAccountName"] == "trainer-sa" and pod["nodeSelector"] == {"pool": "cpu"}
    limits = pod["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}
    assert "ttlSecondsAfterFinished" not in manifest["spec"]["runPolicy"]


def test_replicas_run_the_worker_on_the_shared_job():
    manifest = _manifest(2)
    for spec in manifest["spec"]["tfReplicaSpecs"].values():
        container = spec["template"]["spec"]["containers"][0]
        assert container["name"] == "tensorflow" and container["image"].endswith("recsys:2")
        assert container["command"] + container["args"] == [
            "python", "-m", "components.trainer.worker", "--job", JOB]
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["TF_USE_LEGACY_KERAS"] == "1"
        assert spec["template"]["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}


def test_validation_catches_what_the_api_server_would_reject():
    manifest = _manifest(2)
    misspelt = copy.deepcopy(manifest)
    misspelt["spec"]["tfReplicaSpecs"]["Worker"]["replica"] = 2
    assert any("replica" in e for e in cluster_helpers.schema_errors(misspelt))
    wrong_type = copy.deepcopy(manifest)
    wrong_type["spec"]["tfReplicaSpecs"]["Chief"]["replicas"] = "one"
    assert cluster_helpers.schema_errors(wrong_type)
    bad_quantity = copy.deepcopy(manifest)
    bad_quantity["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"]["containers"][0][
        "resources"]["requests"]["memory"] = "8 GB"
    assert cluster_helpers.schema_errors(bad_quantity)
    renamed = copy.deepcopy(manifest)
    chief_pod = renamed["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"]
    chief_pod["containers"][0]["name"] = "main"
    assert any("tensorflow" in e for e in cluster_helpers.webhook_errors(renamed))


def test_names_fit_kubernetes_limits_and_differ_per_run():
    config = TFJobConfig(image="i", name_prefix="a" * 30)
    names = {tfjob_manifest.new_job_name(config.name_prefix) for _ in range(20)}
    assert len(names) == 20
    # The operator names pods and services "<job>-worker-<index>": DNS labels of <= 63 chars.
    assert all(len(f"{n}-worker-999") <= 63 for n in names)
    with pytest.raises(ValueError, match="DNS-1035"):
        TFJobConfig(name_prefix="Recsys_Train")


def test_refuses_a_manifest_without_image():
    with pytest.raises(ValueError, match="--image"):
        tfjob_manifest.build_tfjob("recsys-train-1", "ns", JOB, 2, TFJobConfig(), max_restarts=1)


def test_operator_tf_config_makes_the_chief_replica_the_exporter(monkeypatch):
    """The worker keeps the operator's TF_CONFIG as it is, and training_run.task_info makes
    exactly the Chief replica the chief (the exporter)."""
    import tensorflow as tf

    from components.trainer.training_run import task_info

    manifest = _manifest(3)
    name = manifest["metadata"]["name"]
    chief = cluster_helpers.operator_tf_config(manifest, "Chief", 0)
    assert chief["cluster"] == {
        "chief": [f"{name}-chief-0.kubeflow-user.svc:2222"],
        "worker": [f"{name}-worker-{i}.kubeflow-user.svc:2222" for i in (0, 1)],
    }
    roles = {}
    for rtype, index in (("Chief", 0), ("Worker", 0), ("Worker", 1)):
        env = {"TF_CONFIG": json.dumps(cluster_helpers.operator_tf_config(manifest, rtype, index))}
        tf_config = json.loads(replica_env.platform_tf_config(env))
        assert tf_config["task"] == {"type": rtype.lower(), "index": index}
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        info = task_info(type("Strategy", (), {"cluster_resolver": resolver})())
        roles[(rtype, index)] = (info["is_chief"], info["workers"])
    assert roles == {("Chief", 0): (True, 3), ("Worker", 0): (False, 3), ("Worker", 1): (False, 3)}
