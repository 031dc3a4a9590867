"""Trains MultiAgentModel in three stages (agents, gate on a validation slice, final)."""

import contextlib
import dataclasses
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import tensorflow as tf

from rec_model import closed_form
from rec_model import features as F
from rec_model import gate_fit
from rec_model.config import ModelConfig
from rec_model.finite_guard import FiniteGuard
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.training_data import TrainingData
from rec_model.warm_start import build_weights


@dataclasses.dataclass
class TrainResult:
    """What `train_multi_agent` returns.

    Attributes:
        model: the trained MultiAgentModel (item statistics and history base = full data).
        epochs: per-epoch logs of every stage: {"stage", "epoch", "loss", "alpha_<agent>", ...}.
        seconds: wall time per stage.
        examples_per_second: user-rows per second of the agent stage.
    """

    model: MultiAgentModel
    epochs: List[Dict[str, float]]
    seconds: Dict[str, float]
    examples_per_second: float

    @property
    def final_alpha(self) -> Dict[str, float]:
        return self.model.alphas()


def _optimizer(config: ModelConfig, learning_rate: Optional[float] = None, replicas: int = 1):
    lr = learning_rate or config.learning_rate
    if config.optimizer == "sgd":
        lr /= replicas  # replica gradients are summed; Adam and Adagrad are invariant to that scale
    return {"adam": tf.keras.optimizers.Adam, "adagrad": tf.keras.optimizers.Adagrad,
            "sgd": tf.keras.optimizers.SGD}[config.optimizer](learning_rate=lr)


def _dataset(history: np.ndarray, batch_size: int, seed: int, target: Optional[np.ndarray] = None):
    users = np.flatnonzero(history.sum(1) > 0 if target is None else target.sum(1) > 0)
    tensors = {F.USER_INDEX: users.astype(np.int64), F.HISTORY_WEIGHTS: history[users]}
    if target is not None:
        tensors[F.TARGET_WEIGHTS] = target[users]
    ds = tf.data.Dataset.from_tensor_slices(tensors).shuffle(len(users), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size), len(users)


def _prepare(model: MultiAgentModel, data: TrainingData, config: ModelConfig):
    """Sets item statistics and the closed-form parts (history base, CF user-user scores, spectral filter)
    from `data`, imputing the columns of items without interactions from their text."""
    counts = data.item_counts()
    model.set_item_statistics(counts, data.item_mean_time(), data.item_first_day())
    history_agent, cf_agent, spectral_agent = model.history_agent, model.cf_agent, model.spectral_agent
    if history_agent is None and spectral_agent is None and (cf_agent is None or cf_agent.user_base is None):
        return
    x = data.weight_matrix(config.rating_power)
    text = model.text_embeddings.numpy()

    def impute(matrix):
        return closed_form.impute_cold_columns(matrix, counts > 0, text, config.cold_neighbours, config.cold_temperature)

    if history_agent is not None:
        history_agent.set_base(impute(closed_form.item_item(x, config.history_l2, config.edlae_dropout)))
    if cf_agent is not None and cf_agent.user_base is not None:
        cf_agent.set_user_base(impute(closed_form.user_user(x, config.user_l2)))
    if spectral_agent is not None:
        spectral_agent.set_filter(impute(closed_form.spectral_filter(x, config.spectral_rank)))


def _selection_users(x_held: np.ndarray, seed: int, limit: int = 5000) -> np.ndarray:
    """Users with held-out items (at most `limit`, sampled) on which the gate is selected."""
    users = np.flatnonzero(x_held.sum(1) > 0)
    if users.size > limit:
        users = np.sort(np.random.default_rng(seed).choice(users, size=limit, replace=False))
    return users


def _log(stage: str, history: tf.keras.callbacks.History, out: List[Dict[str, float]]):
    for epoch in range(len(history.epoch)):
        row = {"stage": stage, "epoch": epoch + 1}
        row.update({k: float(v[epoch]) for k, v in history.history.items()})
        out.append(row)


def _set_agents_trainable(model: MultiAgentModel, trainable: bool):
    for layer in (model.cf_agent, model.content_agent, model.history_agent, model.hybrid_agent, model.spectral_agent,
                  model.weighting):
        if layer is not None:
            layer.trainable = trainable


def _allow_distributed_mean_losses(model: MultiAgentModel):
    """Lets the tasks' mean-reduced Keras losses run under a tf.distribute strategy.

    Each replica then minimises its local-batch mean; the optimizer sums replica gradients,
    which scales every term of the objective by the replica count alike (see `_optimizer`)."""
    for task in list(model.agent_tasks) + [model.ensemble_task]:
        loss = getattr(task, "_loss", None)
        if loss is not None and hasattr(loss, "_allow_sum_over_batch_size"):
            loss._allow_sum_over_batch_size = True


def train_multi_agent(config: ModelConfig, data: TrainingData, item_text_embeddings: np.ndarray,
                      verbose: int = 0, strategy: Optional[tf.distribute.Strategy] = None,
                      callbacks: Optional[Callable[[str], list]] = None,
                      initial_model: Optional[MultiAgentModel] = None) -> TrainResult:
    """Stage 1: every agent + ensemble on the data minus a per-user validation slice.
    Stage 2: agents frozen; a static agent blend is fitted on the slice by NDCG (gate_fit), then
    the gate learns per-user agent weights from it and is kept only if it scores higher.
    Stage 3: item statistics and the history base move to the full data; optional
    `finetune_epochs` of the agents on it with the gate frozen.

    Args:
        config: ModelConfig.
        data: train interactions.
        item_text_embeddings: [items, text_dim] float32 BERT embeddings of the items.
        verbose: Keras fit verbosity.
        strategy: optional tf.distribute strategy (e.g. MultiWorkerMirroredStrategy); the
            model, optimizers and fits run inside its scope.
        callbacks: optional `stage -> list of Keras callbacks` ("agents", "gate",
            "finetune"), e.g. BackupAndRestore / TensorBoard with a folder per stage.
        initial_model: optional model to continue from (warm start, built under the same
            strategy scope); its vocabulary sizes must match `data`.
    """
    tf.keras.utils.set_random_seed(config.seed)
    emb = np.asarray(item_text_embeddings, np.float32)
    if emb.ndim != 2 or emb.shape[0] != data.num_items:
        raise ValueError(f"item_text_embeddings must be [{data.num_items}, dim], got {emb.shape}")
    given = callbacks or (lambda stage: [])

    def guarded(stage: str) -> list:
        return list(given(stage)) + [FiniteGuard(stage)]

    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        return _train(config, data, emb, verbose, strategy, guarded, initial_model, callbacks is not None)


def _train(config, data, emb, verbose, strategy, callbacks, initial_model, callbacks_given) -> TrainResult:
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    if initial_model is not None:
        if (initial_model.num_users, initial_model.num_items) != (data.num_users, data.num_items):
            raise ValueError(f"initial_model has {initial_model.num_users} users / {initial_model.num_items} items, data "
                             f"{data.num_users} / {data.num_items}; warm start it onto the new vocabularies first")
        model = initial_model
    else:
        model = MultiAgentModel(config, data.num_users, data.num_items, emb.shape[1], emb)
    if strategy is not None:
        _allow_distributed_mean_losses(model)
    if callbacks_given:
        build_weights(model)  # BackupAndRestore needs a built model (and builds the optimizer)
    use_gate = config.gate_share > 0 and config.gate_epochs > 0 and config.num_agents > 1
    rest, held = data.split_per_user(config.gate_share, config.seed) if use_gate else (data, None)
    if use_gate and held.user_index.size == 0:  # too few interactions per user to hold any out
        use_gate, rest = False, data
    logs: List[Dict[str, float]] = []
    seconds: Dict[str, float] = {}

    _prepare(model, rest, config)
    x_rest = rest.history_matrix()
    ds, n_rows = _dataset(x_rest, config.batch_size, config.seed)
    model.compile(optimizer=_optimizer(config, replicas=replicas))
    start = time.perf_counter()
    _log("agents", model.fit(ds, epochs=config.epochs, verbose=verbose, callbacks=callbacks("agents")), logs)
    seconds["agents"] = time.perf_counter() - start
    examples_per_second = n_rows * config.epochs / seconds["agents"]

    if use_gate:
        _set_agents_trainable(model, False)
        model.gate_only = True
        x_held = held.history_matrix()
        start = time.perf_counter()
        users = _selection_users(x_held, config.seed)
        _, static = gate_fit.fit_static_blend(model, users, x_rest[users], x_held[users])
        static_weights = model.gate.get_weights()
        ds, _ = _dataset(x_rest, config.batch_size, config.seed, target=x_held)
        model.compile(optimizer=_optimizer(config, replicas=replicas))
        _log("gate", model.fit(ds, epochs=config.gate_epochs, verbose=verbose, callbacks=callbacks("gate")), logs)
        learned = gate_fit.model_ndcg(model, users, x_rest[users], x_held[users])
        if learned < static["static"]:  # keep the per-user gate only when it beats the static blend
            model.gate.set_weights(static_weights)
        logs.append({"stage": "gate_select", "epoch": 0, **{f"ndcg_{k}": v for k, v in static.items()},
                     "ndcg_gate": learned, "per_user_gate_kept": float(learned >= static["static"])})
        seconds["gate"] = time.perf_counter() - start
        model.gate_only = False
        _set_agents_trainable(model, True)
        model.gate.trainable = False

    start = time.perf_counter()
    _prepare(model, data, config)
    if config.finetune_epochs and use_gate:
        ds, _ = _dataset(data.history_matrix(), config.batch_size, config.seed)
        model.compile(optimizer=_optimizer(config, replicas=replicas))
        _log("finetune", model.fit(ds, epochs=config.finetune_epochs, verbose=verbose,
                                   callbacks=callbacks("finetune")), logs)
    model.gate.trainable = True
    seconds["final"] = time.perf_counter() - start
    return TrainResult(model, logs, seconds, examples_per_second)
