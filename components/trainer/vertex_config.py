"""Settings of the "vertex" launcher: the replicas run as a Vertex AI CustomJob."""

import dataclasses
import json
from typing import Dict

from components.config_fields import from_dict


@dataclasses.dataclass(frozen=True)
class VertexJobConfig:
    """How `TrainerConfig.launcher="vertex"` runs the replicas: one Vertex AI CustomJob with
    worker pool 0 = the chief (1 replica) and worker pool 1 = `workers - 1` workers, each
    running `python -m components.trainer.worker --job <job.json>` in `image`.

    Attributes:
        project: Google Cloud project; "" = the project of the default credentials.
        location: Vertex AI region of the job.
        image: container image holding this package (the pipeline image);
            `recsys pipeline compile --image` fills it in when empty.
        machine_type: Compute Engine machine type of every replica.
        accelerator_type / accelerator_count: e.g. "NVIDIA_TESLA_T4" and 1; "" / 0 = none.
        boot_disk_size_gb: boot disk per replica.
        service_account: service account the replicas run as (needs read/write on the
            pipeline root); "" = Vertex AI's default.
        network: VPC network to peer with (projects/N/global/networks/NAME), "" = none.
        env: extra environment variables of the replicas.
        restart_job_on_worker_restart: restart every replica when one restarts, so the group
            reconnects and resumes from the last backup (what MultiWorkerMirroredStrategy needs).
        timeout_seconds: limit of the job's run (its scheduling timeout); the launcher also
            cancels a job still queued or running after it.
        poll_seconds: state polling interval.
        display_name_prefix: prefix of the job's display name (a random suffix is added).
    """

    project: str = ""
    location: str = "us-central1"
    image: str = ""
    machine_type: str = "n1-standard-8"
    accelerator_type: str = ""
    accelerator_count: int = 0
    boot_disk_size_gb: int = 100
    service_account: str = ""
    network: str = ""
    env: Dict[str, str] = dataclasses.field(default_factory=dict)
    restart_job_on_worker_restart: bool = True
    timeout_seconds: int = 86400
    poll_seconds: float = 30.0
    display_name_prefix: str = "recsys-train"

    def __post_init__(self):
        if not self.location or not self.machine_type:
            raise ValueError("VertexJobConfig.location and machine_type are required")
        if bool(self.accelerator_type) != (int(self.accelerator_count) > 0):
            raise ValueError("VertexJobConfig.accelerator_type and accelerator_count go together "
                             f"(got {self.accelerator_type!r} x {self.accelerator_count})")
        if int(self.boot_disk_size_gb) < 10:
            raise ValueError("VertexJobConfig.boot_disk_size_gb must be >= 10")
        if int(self.timeout_seconds) < 1 or not float(self.poll_seconds) > 0:
            raise ValueError("VertexJobConfig.timeout_seconds must be >= 1 and poll_seconds > 0")
        object.__setattr__(self, "env", {str(k): str(v) for k, v in dict(self.env).items()})

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data) -> "VertexJobConfig":
        return from_dict(cls, data, "VertexJobConfig")

    @classmethod
    def from_json(cls, text: str) -> "VertexJobConfig":
        return cls.from_dict(json.loads(text)) if text else cls()
