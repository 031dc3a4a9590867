"""Trains MultiAgentModel: fit, pairs, gate, then refit on all the data.

1. fit: the closed forms (item-item, spectral) and item statistics on the training data
   minus a per-user validation slice; size-dependent settings chosen on that slice.
2. pairs: every factor agent's in-batch softmax plus the ensemble term, alpha learned.
3. gate: on the slice's candidate sets, a static blend fitted on NDCG (the slice ranked as
   if some of its items were new, `simulated_cold`, when the data holds new items), then
   the per-user gate (kept only if it beats the static blend on the half of the slice it
   did not see), calibration temperatures and alpha over every agent.
   Agents the gate weighs 0 are then muted (`MultiAgentModel.mute`): they score nothing,
   and propose no candidates either when the slice's NDCG does not drop without theirs.
4. refit (`refit`): closed forms, statistics and stored histories on all the data given
   (the same settings); then one more pairs epoch over all of it (stage "pairs_all_data",
   the pairs optimizer's state kept, alpha as the gate left it) when an agent the gate kept
   is gradient-trained, so the slice held out in 1-3 trains them too; serving tables rebuilt.
"""

import contextlib
import dataclasses
import functools
import gc
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import tensorflow as tf

from rec_model import auto_settings, gate_fit, rating_weights, recency, simulated_cold
from rec_model import features as F
from rec_model.agents.base import FitContext
from rec_model.closed_forms.cold_items import text_mixing
from rec_model.data.tf_data import without_autotuner
from rec_model.finite_guard import FiniteGuard
from rec_model.interactions import Interactions
from rec_model.lazy_adam import LazyAdam
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.warm_start import build_weights

_GATE_BATCH = 256
# The pairs stage stops when the ensemble's in-batch loss on the validation slice's pairs
# stops improving (and keeps the best epoch's weights): the agents overfit at very
# different numbers of epochs on different data, so a fixed count cannot fit all.
EARLY_STOPPING_METRIC = "loss_pairs_ensemble"
# Its own name, so its callbacks (checkpoints, logs) are not the pairs stage's: restoring the
# pairs stage's last checkpoint here would undo the gate and skip the epoch.
LAST_PASS_STAGE = "pairs_all_data"


@dataclasses.dataclass
class TrainResult:
    """model; epochs: per-epoch logs {"stage", "epoch", ...}; seconds per stage; settings
    chosen per agent; gate: the gate stage's selection report; examples_per_second."""

    model: MultiAgentModel
    epochs: List[Dict[str, float]]
    seconds: Dict[str, float]
    settings: Dict[str, Dict[str, float]]
    gate: Dict[str, float]
    examples_per_second: float

    @property
    def final_alpha(self) -> Dict[str, float]:
        return self.model.alphas()


def _optimizer(model, replicas: int = 1):
    config = model.config
    name = auto_settings.optimizer_for(config.optimizer, model.num_users, model.num_items)
    lr = config.learning_rate / (replicas if name == "sgd" else 1)
    return {"lazy_adam": LazyAdam, "adam": tf.keras.optimizers.Adam,
            "adagrad": tf.keras.optimizers.Adagrad,
            "sgd": tf.keras.optimizers.SGD}[name](learning_rate=lr)


def fit_context(model, data: Interactions, text: np.ndarray, validation=None) -> FitContext:
    config = model.config
    matrix = data.matrix(model.rating_power)
    known = np.asarray(matrix.getnnz(axis=0) > 0)
    mixing = text_mixing(text, known, config.cold_neighbours, config.cold_temperature,
                         config.seed)
    return FitContext(data, matrix, text, mixing, validation, config)


def fit_closed_forms(model: MultiAgentModel, ctx: FitContext, agents=None) -> Dict:
    """Statistics, stored histories and the fitted state of `agents` (default: every agent)
    from `ctx.data` (settings already chosen are reused; with `ctx.validation` "auto"
    settings are chosen). Returns the settings per agent fitted."""
    counts = ctx.data.item_counts()
    model.item_stats.set_counts(counts)
    model.set_popular(counts)
    values, weights, splits = ctx.data.histories(0, model.rating_power)
    model.histories.set_histories(values, recency.weighted(weights, splits, *model.recency),
                                  splits)
    return {agent.name: agent.fit(ctx) for agent in (model.agents if agents is None else agents)}


def refit(model: MultiAgentModel, data: Interactions, text: np.ndarray,
          train: Optional[Callable] = None) -> Dict:
    """`fit_closed_forms` on `data` with the chosen settings, `train(model, data)` if given
    (the stored histories and statistics are then `data`'s), then the serving tables.

    Only the agents ranking reads (`MultiAgentModel.ranking_agents`) are refitted: one the
    gate muted with its retrieval keeps its earlier fit, which no request reads (a blend of
    one agent would otherwise refit four agents' closed forms for nothing).
    """
    ctx = fit_context(model, data, text)
    agents = model.ranking_agents()
    settings = fit_closed_forms(model, ctx, agents)
    if train is not None:
        train(model, data)
    for agent in agents:
        agent.finalize(ctx)
    return settings


def _pairs_dataset(data: Interactions, batch_size: int, seed: int):
    counts = data.item_counts()
    log_q = np.log(counts[data.item_index] / max(data.size, 1)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices({F.USER_INDEX: data.user_index.astype(np.int32),
                                             F.ITEM_INDEX: data.item_index.astype(np.int32),
                                             F.LOG_SAMPLING_PROBABILITY: log_q})
    ds = ds.shuffle(min(data.size, 1_000_000), seed=seed, reshuffle_each_iteration=True)
    return without_autotuner(ds.repeat().batch(batch_size, drop_remainder=True).prefetch(2))


def _log(stage: str, history, out: List[Dict[str, float]]):
    for epoch in range(len(history.epoch)):
        out.append({"stage": stage, "epoch": epoch + 1,
                    **{k: float(v[epoch]) for k, v in history.history.items()}})


def _fit_gate(model, arrays, callbacks, verbose, logs) -> Dict:
    slices = gate_fit.views(arrays)
    coef, report = gate_fit.fit_static_blend(slices, model.agent_names)
    gate_fit.set_static_gate(model.gate, coef)
    report.update({f"coefficient:{n}": c for n, c in zip(model.agent_names, coef)})
    if gate_fit.SIMULATED in arrays:
        report["simulated_cold_draws"] = float(arrays[gate_fit.SIMULATED].shape[-1])
    static_weights = model.gate.get_weights()
    n = arrays[F.USER_SIDE].shape[0]
    half = np.random.default_rng(model.config.seed).permutation(n) < n // 2
    if model.config.gate_epochs and half.sum() >= 2 and (~half).sum() >= 2:
        model.set_stage("gate")
        model.compile(optimizer=_optimizer(model))
        # The gate learns from the same slices the blend was chosen on (each draw's users).
        rows = {k: np.concatenate([a[k][half] for a in slices]) for k in slices[0]
                if k not in gate_fit.NUMPY_ONLY}
        ds = tf.data.Dataset.from_tensor_slices(rows)
        ds = ds.shuffle(int(half.sum()) * len(slices), seed=model.config.seed).batch(_GATE_BATCH)
        ds = without_autotuner(ds)
        _log("gate", model.fit(ds, epochs=model.config.gate_epochs, verbose=verbose,
                               callbacks=callbacks("gate")), logs)
        held = [{k: v[~half] for k, v in a.items()} for a in slices]
        learned = gate_fit.mean_metric([_gate_scores(model, a) for a in held], held)
        static = gate_fit.mean_metric(
            [standardised_blend(gate_fit.standardised(a), coef) for a in held], held)
        kept = auto_settings.earns_its_cost(learned, static)
        report.update(held_out_static=static, held_out_gate=learned,
                      per_user_gate_kept=float(kept))
        if not kept:
            model.gate.set_weights(static_weights)
    return report


def mute_silent_agents(model, arrays, validation) -> Dict[str, float]:
    """Mutes the agents the fitted gate weighs 0 for every user (they change no score), and
    their retrieval too when the validation slice's NDCG does not drop without it. Unlike a
    per-user gate, retrieval need not clear `auto_settings.earns_its_cost`: it is what finds items
    no other agent proposes (cold ones), which a validation slice under-represents."""
    silent = [model.agent_names[i] for i in model.gate.silent_agents()]
    if not silent:
        return {}
    model.mute(silent, retrieval=True)
    indices = [model.agent_names.index(name) for name in silent]
    # Reading the narrower candidates off `arrays` saves a second pass over the validation
    # users (a quarter of an hour at a million items); when the muted model has an agent
    # scan the whole catalogue instead, its candidates are new, so that case runs again.
    narrow = (gate_fit.without_retrieval(arrays, indices) if model.scanner() is None
              else gate_fit.candidate_arrays(model, validation))
    kept = gate_fit.metric(_gate_scores(model, arrays), arrays)
    dropped = gate_fit.metric(_gate_scores(model, narrow), narrow)
    muted = dropped >= kept
    model.mute(silent, retrieval=muted)
    return {**{f"muted:{name}": 1.0 for name in silent}, "muted_retrieval": float(muted),
            "validation_with_muted_retrieval": dropped, "validation_with_all_retrieval": kept}


def standardised_blend(z: np.ndarray, coef) -> np.ndarray:
    return z @ np.asarray(coef, np.float64)


def _gate_scores(model, arrays) -> np.ndarray:
    from rec_model.agent_gate import candidate_statistics

    scores = tf.constant(arrays[F.AGENT_CANDIDATE_SCORES])
    stats = candidate_statistics(scores, tf.constant(arrays[F.CANDIDATE_MASK]))
    return model.gate(scores, stats, tf.constant(arrays[F.USER_SIDE]))[0].numpy()


def train_multi_agent(config, data: Interactions, text: np.ndarray, verbose: int = 0,
                      strategy: Optional[tf.distribute.Strategy] = None,
                      callbacks: Optional[Callable[[str], list]] = None,
                      initial_model: Optional[MultiAgentModel] = None,
                      split_in_time: bool = False) -> TrainResult:
    """Runs the four stages (module docstring) on `data`.

    Args:
        config: ModelConfig.
        data: training interactions.
        text: [items, text_dim] float32 item text embeddings.
        verbose: Keras fit verbosity.
        strategy: optional tf.distribute strategy (MultiWorkerMirroredStrategy).
        callbacks: optional `stage -> list of Keras callbacks` ("pairs", "gate").
        initial_model: optional model to continue from (warm start) over the same vocabularies.
        split_in_time: whether the model is judged on each user's later interactions
            (`recency.split_in_time` of the train and eval splits): then the stored
            histories may weigh recent interactions more (`ModelConfig.recency_half_life`).
    """
    tf.keras.utils.set_random_seed(config.seed)
    text = np.asarray(text, np.float32)
    if text.ndim != 2 or text.shape[0] != data.num_items:
        raise ValueError(f"text embeddings must be [{data.num_items}, dim], got {text.shape}")
    given = callbacks or (lambda stage: [])

    def guarded(stage: str) -> list:
        return list(given(stage)) + [FiniteGuard(stage)]

    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        return _train(config, data, text, verbose, strategy, guarded, initial_model,
                      split_in_time)


def last_pass(model, data, optimizer, replicas, callbacks, logs, seconds=None) -> None:
    """One more pairs epoch over all of `data` for the gradient-trained agents the gate kept:
    the slice held out to choose settings and fit the gate would otherwise never train them.
    alpha stays as the gate fitted it (the weighting is frozen for this epoch)."""
    if optimizer is None or not any(a.gradient_trained for a in model._scoring_agents()):
        return
    config, start = model.config, time.perf_counter()
    for agent in model.agents:
        agent.thaw()
    model.set_stage("pairs")
    model.weighting.trainable = False
    try:
        model.compile(optimizer=optimizer)
        batch = auto_settings.batch_size_for(data.size, config.batch_size) * replicas
        steps = auto_settings.steps_per_epoch_for(data.size, batch)
        history = model.fit(_pairs_dataset(data, batch, config.seed + 1), epochs=1,
                            steps_per_epoch=steps, verbose=0,
                            callbacks=callbacks(LAST_PASS_STAGE))
    finally:
        model.weighting.trainable = True
    _log(LAST_PASS_STAGE, history, logs)
    if seconds is not None:
        seconds[LAST_PASS_STAGE] = time.perf_counter() - start


def _train(config, data, text, verbose, strategy, callbacks, initial_model, split_in_time
           ) -> TrainResult:
    seconds, logs = {}, []
    if initial_model is not None:
        if (initial_model.num_users, initial_model.num_items) != (data.num_users, data.num_items):
            raise ValueError("initial_model's vocabulary sizes differ from the data's; warm start "
                             "it onto the new vocabularies first (rec_model.warm_start)")
        model = initial_model
    else:
        model = MultiAgentModel(config, data.num_users, data.num_items, text.shape[1])
    model.mute(())  # every agent proposes and scores until the gate is fitted
    model.recency = recency.requested(config) or recency.NONE  # a warm start's: chosen again
    rest, held = data.split_per_user(config.gate_share, config.seed)
    start = time.perf_counter()
    model.rating_power, weighting = rating_weights.choose(
        config.rating_power, rest, held, config.gate_users, config.seed, config.edlae_dropout)
    validation = auto_settings.Validation.from_split(rest, held, config.gate_users, config.seed,
                                                     model.rating_power)
    rest_ctx = fit_context(model, rest, text, validation)
    settings = {rating_weights.SETTINGS_KEY: weighting, **fit_closed_forms(model, rest_ctx)}
    rest_ctx.validation = None
    for agent in model.agents:
        agent.thaw()
    seconds["fit"] = time.perf_counter() - start

    start = time.perf_counter()
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    epochs = auto_settings.epochs_for(rest.size, config.epochs)
    examples_per_second = 0.0
    if any(agent.gradient_trained for agent in model.agents):
        build_weights(model)  # BackupAndRestore needs a built model
        model.set_stage("pairs")
        model.compile(optimizer=_optimizer(model, replicas))
        batch = auto_settings.batch_size_for(rest.size, config.batch_size) * replicas
        model.negatives = auto_settings.negatives_for(batch // replicas, config.negatives)
        steps = auto_settings.steps_per_epoch_for(rest.size, batch)
        # One epoch has nothing to stop; restoring "best" weights would copy every variable.
        stop = [] if held.size < batch or epochs < 2 else [tf.keras.callbacks.EarlyStopping(
            monitor=f"val_{EARLY_STOPPING_METRIC}", patience=1, restore_best_weights=True)]
        history = model.fit(
            _pairs_dataset(rest, batch, config.seed), epochs=epochs, steps_per_epoch=steps,
            verbose=verbose, callbacks=callbacks("pairs") + stop,
            validation_data=_pairs_dataset(held, batch, config.seed) if stop else None,
            validation_steps=auto_settings.steps_per_epoch_for(held.size, batch, cap=100))
        _log("pairs", history, logs)
        examples_per_second = (steps * batch * len(history.epoch)
                               / max(time.perf_counter() - start, 1e-9))
    seconds["pairs"] = time.perf_counter() - start
    pairs_optimizer = getattr(model, "optimizer", None)
    for agent in model.agents:
        agent.finalize(rest_ctx)

    gate = {}
    if validation is not None and config.num_agents > 1:
        start = time.perf_counter()
        simulated = simulated_cold.draws(model, text, rest.item_counts())
        arrays = gate_fit.candidate_arrays(model, validation, simulated)
        gate = _fit_gate(model, arrays, callbacks, verbose, logs)
        gate.update(mute_silent_agents(model, arrays, validation))
        del arrays
        seconds["gate"] = time.perf_counter() - start
    model.recency, settings[recency.SETTINGS_KEY] = recency.choose(
        recency.requested(config), model, rest, split_in_time, config.seed,
        lambda part: refit(model, part, text))
    model.set_stage("pairs")
    # Without a held-out slice the pairs stage has already seen every interaction.
    train = functools.partial(last_pass, optimizer=pairs_optimizer, replicas=replicas,
                              callbacks=callbacks, logs=logs, seconds=seconds
                              ) if held.size else None
    # The refit holds a second set of fitted state while it runs: drop the split's first.
    del rest, held, rest_ctx, validation
    gc.collect()

    start = time.perf_counter()
    refit(model, data, text, train=train)
    seconds["refit"] = time.perf_counter() - start - seconds.get(LAST_PASS_STAGE, 0.0)
    return TrainResult(model, logs, seconds, settings, gate, examples_per_second)
