"""One worker's training run: train (maybe warm-started), then the chief exports.

Used in-process when `workers == 1` and by `python -m components.trainer.worker` on every
worker otherwise. Layout written by the chief into `model_dir`:

    Format-Serving/     the serving SavedModel, fitted on train + eval
                        (components/trainer/export.py)
    Format-Eval/        the same model fitted on the train split only (what the evaluator judges)
    model_card.json     agents, alpha, metrics, data span, training time, counts
    warm_start/         weights + vocabularies for the next warm start
and into `log_dir` (the ModelRun): TensorBoard logs `<stage>/train` (per-epoch loss, loss per
agent, alpha per agent, ensemble loss) and `eval/` (eval-split metrics).
"""

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from typing import Dict, Optional

import numpy as np
import tensorflow as tf

from components.model_layout import EVAL_SUBDIR, SERVING_SUBDIR
from components.trainer import export, gradients, model_card, model_store
from components.trainer.config import TrainerConfig
from components.trainer.tensorboard_logs import EpochScalars, write_scalars_to
from components.trainer.training_inputs import TrainingInputs
from rec_model import features as F
from rec_model import recency
from rec_model.config import ModelConfig
from rec_model.evaluation import recommend_users
from rec_model.finite_guard import NonFiniteTrainingError
from rec_model.trainer import refit, train_multi_agent
from rec_model.warm_start import IncompatibleBaseModel, warm_start

log = logging.getLogger(__name__)

# <backup_dir>/journal/: worker-<i>.txt epoch starts, weights-<i>.json digests.
JOURNAL_DIR = "journal"


@dataclasses.dataclass(frozen=True)
class TrainingJob:
    """Everything a worker needs, as JSON (`job.json`) for worker processes.

    Attributes:
        inputs_dir: a `TrainingInputs.save` folder.
        model_dir / log_dir: the Model and ModelRun folders.
        backup_dir: BackupAndRestore folder shared by the workers (a shared file system on
            a cluster); kept until the run succeeds.
        model_config_json / trainer_config_json: the configs.
        transform_graph_uri: optional TransformGraph for `serving_default`.
        base_model_dir: optional previous model (warm start).
        fault: tests only: {"worker": i, "stage": s, "epoch": e, "batch": b, "marker": path}
            kills that worker (os._exit) once, mid-epoch.
    """

    inputs_dir: str
    model_dir: str
    log_dir: str
    backup_dir: str
    model_config_json: str
    trainer_config_json: str = ""
    transform_graph_uri: Optional[str] = None
    base_model_dir: Optional[str] = None
    fault: Optional[Dict] = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TrainingJob":
        return cls(**json.loads(text))


def task_info(strategy) -> Dict:
    """{"task_type", "task_id", "rank", "is_chief", "workers"} of this process; `rank` is unique
    across task types (chief 0, then the workers), so per-replica files never collide."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    task_id = getattr(resolver, "task_id", None) or 0
    cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
    workers = sum(len(v) for k, v in cluster.items() if k in ("chief", "worker")) or 1
    is_chief = task_type in (None, "chief") or (task_type == "worker" and task_id == 0
                                                and "chief" not in cluster)
    rank = task_id + (1 if task_type == "worker" and "chief" in cluster else 0)
    return {"task_type": task_type, "task_id": task_id, "rank": rank, "is_chief": is_chief,
            "workers": workers}


class _EpochJournal(tf.keras.callbacks.Callback):
    """Appends "<stage> <epoch>" to a file at each epoch start (shows where a restart resumed),
    and injects the test fault."""

    def __init__(self, path: str, stage: str, fault: Optional[Dict], worker: int):
        super().__init__()
        self.path, self.stage, self.worker = path, stage, worker
        self.fault = (fault if fault and fault.get("stage") == stage
                      and fault.get("worker") == worker else None)
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        with tf.io.gfile.GFile(self.path, "a") as f:
            f.write(f"{self.stage} {epoch}\n")

    def on_train_batch_begin(self, batch, logs=None):
        f = self.fault
        if (f and self.epoch == f["epoch"] and batch == f["batch"]
                and not os.path.exists(f["marker"])):
            open(f["marker"], "w").close()
            os._exit(17)  # a hard kill: no cleanup, no checkpoint of the running epoch


def _callbacks(job: TrainingJob, config: TrainerConfig, info: Dict):
    journal_dir = os.path.join(job.backup_dir, JOURNAL_DIR)
    tf.io.gfile.makedirs(journal_dir)
    journal = os.path.join(journal_dir, f"worker-{info['rank']}.txt")

    def for_stage(stage: str):
        out = []
        if config.backup:
            out.append(tf.keras.callbacks.BackupAndRestore(os.path.join(job.backup_dir, stage),
                                                           delete_checkpoint=False))
        out.append(EpochScalars(os.path.join(job.log_dir, stage), enabled=info["is_chief"]))
        out.append(_EpochJournal(journal, stage, job.fault, info["rank"]))
        return out

    return for_stage


def _initial_model(job: TrainingJob, config: TrainerConfig, inputs: TrainingInputs,
                   model_config: ModelConfig):
    """(model to continue from or None, the model card's `warm_start` entry or None).

    A base model whose agents, dimensions or weights no longer match the configuration (the
    model was changed on purpose) is not an error: training starts from scratch and the card
    says why, so continuous training survives a model upgrade.
    """
    if not (job.base_model_dir and config.warm_start):
        return None, None
    try:
        old, old_users, old_items = model_store.load_model_state(job.base_model_dir)
        model = warm_start(old, old_users, old_items, inputs.user_ids, inputs.item_ids,
                           inputs.text_embeddings.shape[1], model_config)
    except IncompatibleBaseModel as err:
        log.warning("not warm-starting from %s, training from scratch: %s", job.base_model_dir,
                    err)
        return None, {"from": job.base_model_dir, "skipped": str(err)}
    kept = {"users_kept": len(set(old_users) & set(inputs.user_ids)),
            "items_kept": len(set(old_items) & set(inputs.item_ids)),
            "users_new": len(set(inputs.user_ids) - set(old_users)),
            "items_new": len(set(inputs.item_ids) - set(old_items)),
            "from": job.base_model_dir}
    return model, kept


def _probe_batch(inputs: TrainingInputs, n: int = 8):
    """A pairs-stage batch of the first `n` train interactions (for the gradient report)."""
    counts = inputs.train.item_counts()
    items = inputs.train.item_index[:n]
    return {F.USER_INDEX: tf.constant(inputs.train.user_index[:n], tf.int32),
            F.ITEM_INDEX: tf.constant(items, tf.int32),
            F.LOG_SAMPLING_PROBABILITY: tf.constant(np.log(counts[items] / inputs.train.size),
                                                    tf.float32)}


def check_finite_scores(model, inputs: TrainingInputs, n: int = 256) -> None:
    """Raises NonFiniteTrainingError when the model's `recommend` path gives a non-finite
    contribution for any of `n` sampled users (a model that would serve NaN is never exported)."""
    # bincount, not np.unique: numpy's hash-based unique takes seconds on 16M indices.
    users = np.flatnonzero(np.bincount(inputs.train.user_index))[:n]
    _, contributions = recommend_users(model, users, min(10, model.num_items))
    bad = ~np.isfinite(contributions).all(axis=(0, 1))
    if bad.any():
        names = [f"score_{a}" for a, b in zip(model.agent_names, bad) if b]
        raise NonFiniteTrainingError("export", 0, None, names, model.agent_names)


def run_training(job: TrainingJob, strategy: Optional[tf.distribute.Strategy] = None) -> Dict:
    """Trains on this worker; the chief writes the Model and returns its model card.

    Args:
        job: the TrainingJob.
        strategy: MultiWorkerMirroredStrategy on workers (from TF_CONFIG); None = default.

    Returns:
        the model card (every worker computes it; only the chief writes files to model_dir).
    """
    start = time.time()
    config = TrainerConfig.from_json(job.trainer_config_json)
    model_config = ModelConfig.from_json(job.model_config_json)
    inputs = TrainingInputs.load(job.inputs_dir)
    info = task_info(strategy)
    scope = strategy.scope() if strategy is not None else None
    if scope is not None:
        with scope:
            initial, warm = _initial_model(job, config, inputs, model_config)
    else:
        initial, warm = _initial_model(job, config, inputs, model_config)
    result = train_multi_agent(model_config, inputs.train, inputs.text_embeddings,
                               verbose=config.verbose, strategy=strategy,
                               callbacks=_callbacks(job, config, info), initial_model=initial,
                               split_in_time=recency.split_in_time(inputs.train, inputs.eval))
    model = result.model
    probe = _probe_batch(inputs)
    sparse = (gradients.sparse_allreduce_report(model, strategy, probe) if strategy is not None
              else {"sparse_before": [n for n, k in gradients.gradient_kinds(model, probe)
                                      if k == "IndexedSlices"], "replicas": 1})
    check_finite_scores(model, inputs)
    metrics = model_card.eval_metrics(model, inputs, k=config.eval_k, max_users=config.eval_users)
    target = (job.model_dir if info["is_chief"]
              else tempfile.mkdtemp(prefix=f"recsys-worker{info['rank']}-"))
    start_export = time.time()
    export.export_serving_model(model, inputs.user_ids, inputs.item_ids,
                                os.path.join(target, EVAL_SUBDIR),
                                job.transform_graph_uri, config.serving_k)
    everything = inputs.train.concat(inputs.eval) if inputs.eval.size else inputs.train
    refit(model, everything, inputs.text_embeddings)  # the pushed model knows every interaction
    check_finite_scores(model, inputs)
    export.export_serving_model(model, inputs.user_ids, inputs.item_ids,
                                os.path.join(target, SERVING_SUBDIR),
                                job.transform_graph_uri, config.serving_k)
    export_seconds = time.time() - start_export
    train_seconds = time.time() - start
    card = {
        "agents": model.agent_names, "alpha": result.final_alpha,
        "metrics": {"eval": metrics, "last_epoch": _last_epochs(result.epochs)},
        "epochs": result.epochs, "data_span": inputs.data_span, "counts": inputs.counts,
        "settings": result.settings, "gate": result.gate,
        "training": {"seconds_total": train_seconds,
                     "seconds_per_stage": {**result.seconds, "export": export_seconds},
                     "examples_per_second": result.examples_per_second, "workers": info["workers"],
                     "strategy": type(strategy).__name__ if strategy is not None else "default",
                     "communication": "RING" if strategy is not None else None},
        "sparse_gradients": sparse, "warm_start": warm, "model_config": model_config.to_dict(),
        "trainer_config": dataclasses.asdict(config), "signatures": model_card.signature_summary(),
        "exclude_seen": "recommend excludes seen items; recommend_include_seen does not",
        "serving_model": {"folder": SERVING_SUBDIR, "interactions": int(everything.size)},
        "eval_model": {"folder": EVAL_SUBDIR, "interactions": int(inputs.train.size)},
    }
    _write_digest(model, os.path.join(job.backup_dir, JOURNAL_DIR, f"weights-{info['rank']}.json"))
    model_store.save_model_state(model, inputs.user_ids, inputs.item_ids, target)
    if info["is_chief"]:
        model_card.write_model_card(target, card)
        if metrics:
            write_scalars_to(os.path.join(job.log_dir, "eval"),
                             {k: v for k, v in metrics.items() if isinstance(v, float)},
                             step=len(result.epochs))
    else:
        shutil.rmtree(target, ignore_errors=True)
    return card


def weights_digest(model) -> str:
    """sha256 over the model's weights (metric state excluded), to compare workers."""
    metric_ids = {id(v) for m in model.metrics for v in m.variables}
    digest = hashlib.sha256()
    for weight in model.weights:
        if id(weight) not in metric_ids:
            digest.update(weight.name.encode())
            digest.update(weight.numpy().tobytes())
    return digest.hexdigest()


def _write_digest(model, path: str) -> None:
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(json.dumps({"digest": weights_digest(model)}))


def _last_epochs(epochs):
    last = {}
    for row in epochs:
        last[row["stage"]] = {k: v for k, v in row.items() if k != "stage"}
    return last
