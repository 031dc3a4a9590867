"""Training on a cluster through the platform's own launcher (TFJob or Vertex AI CustomJob).

The launching process (the trainer component's executor) stages the job on shared storage,
the platform starts the replicas with its own TF_CONFIG, and the chief replica exports into
the Model folder, which the component then publishes:

    <ModelRun>/.trainer_work/job.json     the TrainingJob every replica reads
    <ModelRun>/.trainer_work/inputs/      TrainingInputs (copied to local disk by each replica)
    <ModelRun>/.trainer_work/backup/      BackupAndRestore checkpoints, kept until success
    <Model>/                              written by the chief (Format-Serving/, model_card.json)
"""

import logging
import os
import tempfile
from typing import Dict, Optional

import tensorflow as tf

from components.trainer import model_card, shared_storage
from components.trainer.config import TrainerConfig
from components.trainer.train import WORK_DIR
from components.trainer.training_inputs import TrainingInputs
from components.trainer.training_run import TrainingJob
from rec_model.config import ModelConfig

log = logging.getLogger(__name__)


def make_launcher(config: TrainerConfig):
    """The launcher object for `config.launcher` ("tfjob" or "vertex")."""
    if config.launcher == "tfjob":
        from components.trainer.tfjob_launcher import TFJobLauncher

        return TFJobLauncher(config.tfjob)
    if config.launcher == "vertex":
        from components.trainer.vertex_launcher import VertexLauncher

        return VertexLauncher(config.vertex)
    raise ValueError(f"launcher {config.launcher!r} is not a cluster launcher; "
                     "'local' runs through train.train_and_export")


def stage_job(inputs: TrainingInputs, model_dir: str, log_dir: str, model_config: ModelConfig,
              trainer_config: TrainerConfig, transform_graph_uri: Optional[str] = None,
              base_model_dir: Optional[str] = None) -> str:
    """Writes the inputs and `job.json` under `<log_dir>/.trainer_work/`; returns the path
    of job.json."""
    work = os.path.join(log_dir, WORK_DIR)
    inputs_dir = os.path.join(work, "inputs")
    tf.io.gfile.makedirs(work)
    tf.io.gfile.makedirs(model_dir)
    # TrainingInputs writes local files only: save here, then copy to the shared folder.
    with tempfile.TemporaryDirectory(prefix="recsys-inputs-") as local:
        inputs.save(local)
        shared_storage.copy_tree(local, inputs_dir)
    job = TrainingJob(inputs_dir=inputs_dir, model_dir=model_dir, log_dir=log_dir,
                      backup_dir=os.path.join(work, "backup"),
                      model_config_json=model_config.to_json(),
                      trainer_config_json=trainer_config.to_json(),
                      transform_graph_uri=transform_graph_uri, base_model_dir=base_model_dir)
    job_path = os.path.join(work, "job.json")
    with tf.io.gfile.GFile(job_path, "w") as f:
        f.write(job.to_json())
    return job_path


def train_on_cluster(inputs: TrainingInputs, model_dir: str, log_dir: str,
                     model_config: ModelConfig, trainer_config: TrainerConfig,
                     transform_graph_uri: Optional[str] = None,
                     base_model_dir: Optional[str] = None, launcher=None) -> Dict:
    """Trains on `trainer_config.workers` cluster replicas; returns the chief's model card.

    Args:
        inputs / model_dir / log_dir / model_config / trainer_config / transform_graph_uri /
            base_model_dir: as `train.train_and_export`; every path must be on shared storage.
        launcher: object with `run(job_path, workers, max_restarts, log_dir) -> dict`
            (default: `make_launcher(trainer_config)`).

    Raises:
        ValueError: a path is local (the message names it).
        RuntimeError: the cluster job failed, or succeeded without the chief's model card.
    """
    shared_storage.require_shared({
        "Model folder": model_dir,
        "ModelRun folder (job, inputs, backups)": log_dir,
        "TransformGraph": transform_graph_uri,
        "base model": base_model_dir,
    }, trainer_config.launcher)
    job_path = stage_job(inputs, model_dir, log_dir, model_config, trainer_config,
                         transform_graph_uri, base_model_dir)
    return launch_staged(job_path, model_dir, log_dir, trainer_config,
                         launcher or make_launcher(trainer_config))


def launch_staged(job_path: str, model_dir: str, log_dir: str, trainer_config: TrainerConfig,
                  launcher) -> Dict:
    """Runs a staged job with `launcher`, then reads and annotates the chief's model card and
    removes the job folder."""
    outcome = launcher.run(job_path, trainer_config.workers, trainer_config.max_restarts, log_dir)
    card_path = os.path.join(model_dir, model_card.MODEL_CARD_FILE)
    if not tf.io.gfile.exists(card_path):
        raise RuntimeError(f"{outcome.get('launcher')} job {outcome.get('name')} succeeded but "
                           f"the chief wrote no {card_path}; see the replica logs under "
                           f"{log_dir}/worker_logs or the platform's logs")
    card = model_card.read_model_card(model_dir)
    card["training"]["cluster_job"] = outcome
    model_card.write_model_card(model_dir, card)
    shared_storage.remove_tree(os.path.dirname(job_path))
    log.info("trainer: model at %s from %s job %s, eval %s", model_dir, outcome.get("launcher"),
             outcome.get("name"), card["metrics"]["eval"])
    return card
