"""The trainer's plain logic, shared by the component's executor and `recsys train`."""

import logging
import os
import shutil
from typing import Dict, Optional

import tensorflow as tf

from components.trainer import distributed, model_card
from components.trainer.config import TrainerConfig
from components.trainer.training_inputs import TrainingInputs
from components.trainer.training_run import TrainingJob, run_training
from rec_model.config import ModelConfig

# under the ModelRun folder: inputs, job.json, backups; removed on success.
WORK_DIR = ".trainer_work"
WORKER_LOGS = "worker_logs"


def train_and_export(inputs: TrainingInputs, model_dir: str, log_dir: str,
                     model_config: ModelConfig, trainer_config: TrainerConfig,
                     transform_graph_uri: Optional[str] = None,
                     base_model_dir: Optional[str] = None, fault: Optional[Dict] = None,
                     keep_work_dir: bool = False) -> Dict:
    """Trains on 1 (in process) or N local workers and exports into `model_dir`.

    Args:
        inputs: prepared TrainingInputs.
        model_dir: Model folder (SavedModel at `Format-Serving/`, `model_card.json`,
            `warm_start/`).
        log_dir: ModelRun folder (TensorBoard logs, worker logs).
        model_config / trainer_config: the configs.
        transform_graph_uri: TransformGraph used by `serving_default` (optional).
        base_model_dir: previous Model folder to warm start from (optional).
        fault: test-only fault injection (see TrainingJob).
        keep_work_dir: keep inputs/backups after success (tests inspect the journal).

    Returns:
        the model card.
    """
    work = os.path.join(log_dir, WORK_DIR)
    tf.io.gfile.makedirs(work)
    tf.io.gfile.makedirs(model_dir)
    inputs_dir = os.path.join(work, "inputs")
    inputs.save(inputs_dir)
    job = TrainingJob(inputs_dir=inputs_dir, model_dir=model_dir, log_dir=log_dir,
                      backup_dir=os.path.join(work, "backup"),
                      model_config_json=model_config.to_json(),
                      trainer_config_json=trainer_config.to_json(),
                      transform_graph_uri=transform_graph_uri, base_model_dir=base_model_dir,
                      fault=fault)
    if trainer_config.workers == 1:
        run_training(job)
        restarts = 0
    else:
        job_path = os.path.join(work, "job.json")
        with tf.io.gfile.GFile(job_path, "w") as f:
            f.write(job.to_json())
        restarts = distributed.run_local_workers(job_path, trainer_config.workers,
                                                 os.path.join(log_dir, WORKER_LOGS),
                                                 trainer_config.max_restarts,
                                                 trainer_config.worker_timeout_seconds)
    card = model_card.read_model_card(model_dir)
    card["training"]["restarts"] = restarts
    model_card.write_model_card(model_dir, card)
    if not keep_work_dir:
        shutil.rmtree(work, ignore_errors=True) if "://" not in work else tf.io.gfile.rmtree(work)
    logging.info("trainer: model at %s, eval %s, %.1fs on %d worker(s)", model_dir,
                 card["metrics"]["eval"], card["training"]["seconds_total"],
                 trainer_config.workers)
    return card
