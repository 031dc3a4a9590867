"""VertexLauncher against a fake aiplatform JobServiceClient."""

import pytest
from google.cloud import aiplatform_v1

from components.trainer.vertex_config import VertexJobConfig
from components.trainer.vertex_launcher import VertexLauncher

NAME = "projects/p/locations/europe-west4/customJobs/123"


class FakeJobService:
    """create/get/cancel_custom_job: records calls, answers reads from a script of states."""

    def __init__(self, states, error=""):
        self.states, self.error = list(states), error
        self.created, self.cancelled, self.reads = [], [], 0

    def create_custom_job(self, parent, custom_job):
        assert isinstance(custom_job, aiplatform_v1.CustomJob)
        self.created.append((parent, custom_job))
        return aiplatform_v1.CustomJob(name=NAME, display_name=custom_job.display_name)

    def get_custom_job(self, name):
        assert name == NAME
        self.reads += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if isinstance(state, Exception):
            raise state
        job = aiplatform_v1.CustomJob(name=NAME, state=getattr(aiplatform_v1.JobState, state))
        if self.error:
            job.error.message = self.error
        return job

    def cancel_custom_job(self, name):
        self.cancelled.append(name)


def _launcher(fake, **config):
    config = VertexJobConfig(**{"image": "img", "project": "p", "location": "europe-west4",
                                "poll_seconds": 0.001, **config})
    return VertexLauncher(config, client=fake)


def test_success_submits_the_job_to_the_region():
    fake = FakeJobService(["JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING",
                           "JOB_STATE_SUCCEEDED"])
    outcome = _launcher(fake).run("gs://b/job.json", 3, 2, "gs://b/run")
    (parent, job), = fake.created
    assert parent == "projects/p/locations/europe-west4"
    assert [p.replica_count for p in job.job_spec.worker_pool_specs] == [1, 2]
    assert outcome == {"launcher": "vertex", "name": NAME, "state": "JOB_STATE_SUCCEEDED"}
    assert fake.reads == 4 and fake.cancelled == []


def test_failure_reports_vertex_error_message():
    fake = FakeJobService(["JOB_STATE_RUNNING", "JOB_STATE_FAILED"],
                          error="The replica workerpool1-0 exited with a non-zero status of 1.")
    with pytest.raises(RuntimeError, match="ended JOB_STATE_FAILED: The replica workerpool1-0"):
        _launcher(fake).run("gs://b/job.json", 2, 2, "gs://b/run")


def test_timeout_cancels_the_job():
    fake = FakeJobService(["JOB_STATE_RUNNING"])
    with pytest.raises(RuntimeError, match="did not finish within 1s .*RUNNING"):
        _launcher(fake, timeout_seconds=1, poll_seconds=0.05).run("gs://b/j", 2, 2, "gs://b/r")
    assert fake.cancelled == [NAME]


def test_transient_read_errors_are_retried_then_reported():
    fake = FakeJobService([ConnectionError("reset"), "JOB_STATE_SUCCEEDED"])
    outcome = _launcher(fake).run("gs://b/job.json", 2, 2, "gs://b/run")
    assert outcome["state"] == "JOB_STATE_SUCCEEDED"
    broken = FakeJobService([ConnectionError("reset")])
    with pytest.raises(RuntimeError, match="cannot read"):
        _launcher(broken).run("gs://b/job.json", 2, 2, "gs://b/run")
    assert broken.cancelled == [NAME]
