"""What a replica makes of its platform's TF_CONFIG / CLUSTER_SPEC, and of shared inputs."""

import dataclasses
import json

import pytest

from components.trainer import replica_env, shared_storage
from components.trainer.training_run import TrainingJob
from tests.components.trainer import cluster_helpers

TFJOB = {"cluster": {"chief": ["j-chief-0.ns.svc:2222"], "worker": ["j-worker-0.ns.svc:2222"]},
         "task": {"type": "worker", "index": 0}, "environment": "cloud"}


def test_tfjob_and_local_tf_configs_pass_unchanged():
    assert json.loads(replica_env.platform_tf_config({"TF_CONFIG": json.dumps(TFJOB)})) == {
        "cluster": TFJOB["cluster"], "task": TFJOB["task"]}
    local = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
             "task": {"type": "worker", "index": 1}}
    assert json.loads(replica_env.platform_tf_config({"TF_CONFIG": json.dumps(local)})) == local


def test_nothing_set_means_a_single_process():
    assert replica_env.platform_tf_config({}) is None
    assert replica_env.platform_tf_config({"TF_CONFIG": "{}"}) is None


@pytest.mark.parametrize("pool, index, expected",
                         [(0, 0, "chief"), (1, 0, "worker"), (1, 1, "worker")])
def test_vertex_tf_config_and_cluster_spec_agree(pool, index, expected):
    request = {"job_spec": {"worker_pool_specs": [{"replica_count": 1}, {"replica_count": 2}]}}
    env = cluster_helpers.vertex_env(request, pool, index)
    from_tf_config = json.loads(replica_env.platform_tf_config(env))
    only_cluster_spec = {"CLUSTER_SPEC": env["CLUSTER_SPEC"]}
    from_cluster_spec = json.loads(replica_env.platform_tf_config(only_cluster_spec))
    assert from_tf_config == from_cluster_spec
    assert from_tf_config["task"] == {"type": expected, "index": index}
    assert from_tf_config["cluster"] == {"chief": ["workerpool0-0:2222"],
                                         "worker": ["workerpool1-0:2222", "workerpool1-1:2222"]}


def test_legacy_master_becomes_chief():
    spec = {"cluster": {"master": ["m:2222"], "worker": ["w:2222"]},
            "task": {"type": "master", "index": 0}}
    out = json.loads(replica_env.platform_tf_config({"TF_CONFIG": json.dumps(spec)}))
    assert out == {"cluster": {"chief": ["m:2222"], "worker": ["w:2222"]},
                   "task": {"type": "chief", "index": 0}}


def test_a_parameter_server_task_is_refused():
    spec = {"cluster": {"workerpool0": ["a:1"], "workerpool2": ["p:1"]},
            "task": {"type": "workerpool2", "index": 0}}
    with pytest.raises(ValueError, match="workerpool2"):
        replica_env.platform_tf_config({"CLUSTER_SPEC": json.dumps(spec)})


def test_shared_inputs_are_copied_to_local_disk(tmp_path):
    (tmp_path / "inputs.json").write_text("{}")
    shared_storage.copy_tree(str(tmp_path), "ram://replica-env-test/inputs")
    job = TrainingJob(inputs_dir="ram://replica-env-test/inputs", model_dir="m", log_dir="l",
                      backup_dir="b", model_config_json="{}")
    local = replica_env.with_local_inputs(job)
    assert shared_storage.scheme(local.inputs_dir) is None and local.model_dir == "m"
    with open(f"{local.inputs_dir}/inputs.json") as f:
        assert f.read() == "{}"
    on_disk = dataclasses.replace(job, inputs_dir=str(tmp_path))
    assert replica_env.with_local_inputs(on_disk) is on_disk
    shared_storage.remove_tree("ram://replica-env-test")
