"""Runs the trainer's replicas as a Vertex AI CustomJob: create, poll its state, report.

Uses google-cloud-aiplatform's `JobServiceClient` (regional endpoint) with the default
credentials; in a Vertex AI Pipelines step those are the step's service account, which
needs `aiplatform.customJobs.create/get/cancel` and act-as on `VertexJobConfig.service_account`.
"""

import logging
import time
from typing import Dict

from components.trainer.vertex_config import VertexJobConfig
from components.trainer.vertex_request import build_custom_job, new_display_name

log = logging.getLogger(__name__)

SUCCEEDED = "JOB_STATE_SUCCEEDED"
FAILED_STATES = ("JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED",
                 "JOB_STATE_PARTIALLY_SUCCEEDED")
_TRANSIENT_POLL_ERRORS = 5


def job_service_client(location: str):
    from google.cloud import aiplatform_v1

    endpoint = f"{location}-aiplatform.googleapis.com"  # jobs live in regional endpoints
    return aiplatform_v1.JobServiceClient(client_options={"api_endpoint": endpoint})


def default_project() -> str:
    import google.auth

    _, project = google.auth.default()
    if not project:
        raise ValueError("VertexJobConfig.project is empty and the default credentials name no "
                         "project: set it (recsys pipeline compile --vertex-project P)")
    return project


class VertexLauncher:
    """Submits one CustomJob per training run and waits for it.

    Args:
        config: the launcher's settings.
        client: an aiplatform_v1 `JobServiceClient` (default: one for `config.location`).
    """

    def __init__(self, config: VertexJobConfig, client=None):
        self.config = config
        self.client = client if client is not None else job_service_client(config.location)
        self.project = config.project or default_project()

    def run(self, job_path: str, workers: int, max_restarts: int, log_dir: str) -> Dict:
        """Runs the job to the end (same contract as TFJobLauncher.run; Vertex AI restarts
        replicas itself, so `max_restarts` is unused, and replica logs stay in Cloud Logging).

        Raises:
            RuntimeError: the job failed (with Vertex AI's error message), was cancelled or
                timed out.
        """
        from google.cloud import aiplatform_v1

        del max_restarts, log_dir
        display_name = new_display_name(self.config.display_name_prefix)
        spec = build_custom_job(display_name, job_path, workers, self.config)
        request = aiplatform_v1.CustomJob(spec)  # proto-plus rejects unknown fields
        parent = f"projects/{self.project}/locations/{self.config.location}"
        job = self.client.create_custom_job(parent=parent, custom_job=request)
        log.info("trainer: submitted Vertex AI CustomJob %s (%d replicas)", job.name, workers)
        try:
            job = self._wait(job.name)
        except BaseException:
            self._cancel(job.name)
            raise
        state = job.state.name
        if state != SUCCEEDED:
            raise RuntimeError(f"Vertex AI CustomJob {job.name} ended {state}: "
                               f"{job.error.message or 'no error message'} (replica logs: Cloud "
                               f"Logging, resource.labels.job_id={job.name.rsplit('/', 1)[-1]})")
        return {"launcher": "vertex", "name": job.name, "state": state}

    def _wait(self, name: str):
        deadline = time.monotonic() + self.config.timeout_seconds
        errors, job = 0, None
        while True:
            try:
                job = self.client.get_custom_job(name=name)
                errors = 0
            except Exception as err:  # pylint: disable=broad-except
                # google.api_core raises many types for a passing network or server fault.
                errors += 1
                if errors >= _TRANSIENT_POLL_ERRORS:
                    raise RuntimeError(f"cannot read Vertex AI CustomJob {name}: {err}") from err
            if job is not None and job.state.name in (SUCCEEDED,) + FAILED_STATES:
                return job
            if time.monotonic() > deadline:
                state = job.state.name if job is not None else "unknown"
                raise RuntimeError(f"Vertex AI CustomJob {name} did not finish within "
                                   f"{self.config.timeout_seconds}s (state {state}); cancelled it")
            time.sleep(self.config.poll_seconds)

    def _cancel(self, name: str) -> None:
        try:
            self.client.cancel_custom_job(name=name)
        except Exception as err:  # pylint: disable=broad-except
            log.warning("trainer: could not cancel Vertex AI CustomJob %s: %s", name, err)
