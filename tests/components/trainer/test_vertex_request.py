"""The Vertex AI CustomJob request against aiplatform's own v1 proto."""

import copy

import pytest
from google.cloud import aiplatform_v1

from components.trainer.vertex_config import VertexJobConfig
from components.trainer.vertex_request import build_custom_job, new_display_name

JOB = "gs://bucket/root/trainer/model_run/7/.trainer_work/job.json"


def _request(workers=3, **config):
    config = VertexJobConfig(**{"image": "us-docker.pkg.dev/p/r/recsys:2", **config})
    return build_custom_job(new_display_name(config.display_name_prefix), JOB, workers, config)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_request_builds_the_proto_with_a_chief_pool_and_a_worker_pool(workers):
    job = aiplatform_v1.CustomJob(_request(workers))
    pools = job.job_spec.worker_pool_specs
    assert [p.replica_count for p in pools] == [1] + ([workers - 1] if workers > 1 else [])
    for pool in pools:
        assert pool.container_spec.image_uri.endswith("recsys:2")
        assert list(pool.container_spec.command) + list(pool.container_spec.args) == [
            "python", "-m", "components.trainer.worker", "--job", JOB]
        assert {e.name: e.value for e in pool.container_spec.env}["TF_USE_LEGACY_KERAS"] == "1"
        assert pool.machine_spec.machine_type == "n1-standard-8"
    assert job.job_spec.scheduling.restart_job_on_worker_restart
    assert job.job_spec.scheduling.timeout.total_seconds() == 86400


def test_every_option_maps_onto_proto_fields():
    request = _request(2, machine_type="e2-standard-16", accelerator_type="NVIDIA_TESLA_T4",
                       accelerator_count=2, boot_disk_size_gb=200, service_account="sa@p.iam",
                       network="projects/1/global/networks/vpc", env={"A": "1"},
                       restart_job_on_worker_restart=False, timeout_seconds=600)
    job = aiplatform_v1.CustomJob(request)
    machine = job.job_spec.worker_pool_specs[1].machine_spec
    assert machine.accelerator_type == aiplatform_v1.AcceleratorType.NVIDIA_TESLA_T4
    assert machine.accelerator_count == 2
    assert job.job_spec.worker_pool_specs[0].disk_spec.boot_disk_size_gb == 200
    assert job.job_spec.service_account == "sa@p.iam"
    assert job.job_spec.network.endswith("/vpc")
    assert not job.job_spec.scheduling.restart_job_on_worker_restart
    assert job.job_spec.scheduling.timeout.total_seconds() == 600


def test_the_proto_rejects_what_the_api_would_not_know():
    request = _request(2)
    misspelt = copy.deepcopy(request)
    misspelt["job_spec"]["worker_pool_specs"][1]["replicas"] = 1
    with pytest.raises(ValueError, match="replicas"):
        aiplatform_v1.CustomJob(misspelt)


def test_refuses_a_request_without_image():
    with pytest.raises(ValueError, match="--image"):
        build_custom_job("n", JOB, 2, VertexJobConfig())


def test_config_checks_accelerators_and_fields():
    with pytest.raises(ValueError, match="go together"):
        VertexJobConfig(accelerator_type="NVIDIA_TESLA_T4")
    with pytest.raises(ValueError, match=r"unknown VertexJobConfig field\(s\) \['machine'\]"):
        VertexJobConfig.from_json('{"machine": "n1"}')
    config = VertexJobConfig(project="p", env={"A": "1"})
    assert VertexJobConfig.from_json(config.to_json()) == config
