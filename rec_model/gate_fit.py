"""Fits the gate's agent mix on the validation slice by NDCG (a static blend).

The gate's gradient stage optimises a softmax surrogate; on a strong pair of closed-form
agents it can drift towards weak agents and lose to its best agent. `fit_static_blend`
searches per-agent coefficients directly on the metric (coordinate ascent over a grid,
starting from the best single agent), and `set_static_gate` writes them into the gate
(zero kernel, bias = log coefficient, unit temperatures and scales), the start point
and fallback of the per-user gate (see `trainer.py`).
"""

from typing import Dict, List, Sequence, Tuple

import numpy as np
import tensorflow as tf

from rec_model import features as F

_GRID = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
_KS = (10, 20, 50)  # the selection metric averages NDCG at these cut-offs (less noisy than @10 alone)
_PEERS = 0.95  # agents within 5% of the best one start with equal weight
_MIN_GAIN = 0.002  # relative gain a coordinate step needs to be taken (guards against fitting noise)


def ndcg_at_k(scores: np.ndarray, source: np.ndarray, target: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k (binary gain) over rows with a target; source items are excluded.

    Args:
        scores: [users, items]; source / target: [users, items] weights (> 0 = present).
    """
    k = min(k, scores.shape[1] - 1)
    s = np.where(source > 0, -np.inf, scores)
    top = np.argpartition(-s, k, axis=1)[:, :k]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, 1), axis=1), 1)
    hits = np.take_along_axis(target > 0, top, 1)
    n = (target > 0).sum(1)
    rows = n > 0
    if not rows.any():
        return 0.0
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(disc)[np.minimum(n[rows], k) - 1]
    return float(((hits[rows] * disc).sum(1) / ideal).mean())


def _metric(scores, source, target) -> float:
    return float(np.mean([ndcg_at_k(scores, source, target, k) for k in _KS]))


def set_static_gate(model, coefficients: Sequence[float]):
    """Gate = constant per-agent weights proportional to `coefficients` (>= 0, not all 0)."""
    c = np.asarray(coefficients, np.float64)
    if c.shape != (model.config.num_agents,) or c.min() < 0 or c.sum() <= 0:
        raise ValueError(f"coefficients {c} must be {model.config.num_agents} non-negative numbers, not all zero")
    gate = model.gate
    if not gate.mix.built:  # build the model's weights with one empty request
        model({F.USER_INDEX: tf.constant([-1], tf.int64), F.HISTORY_WEIGHTS: tf.zeros([1, model.num_items])})
    gate.mix.kernel.assign(tf.zeros_like(gate.mix.kernel))
    gate.mix.bias.assign(np.log(c / c.sum() + 1e-9).astype(np.float32))
    gate.log_temperature.assign(tf.zeros_like(gate.log_temperature))
    gate.log_scale.assign(tf.zeros_like(gate.log_scale))


def _agent_z(model, users: np.ndarray, source: np.ndarray, batch: int = 256) -> np.ndarray:
    """[users, items, agents] per-agent gate inputs (z-scores up to a per-row constant)."""
    set_static_gate(model, np.ones(model.config.num_agents))
    out = []
    for start in range(0, len(users), batch):
        res = model.score_items(tf.constant(users[start:start + batch], tf.int64), tf.constant(source[start:start + batch]))
        out.append(res["contributions"].numpy() * model.config.num_agents)
    return np.concatenate(out)


def fit_static_blend(model, users: np.ndarray, source: np.ndarray, target: np.ndarray,
                     passes: int = 2) -> Tuple[List[float], Dict[str, float]]:
    """Coordinate ascent of per-agent coefficients on mean NDCG@{10,20,50} of `target`.

    Starts from an equal blend of the agents within 5% of the best one (or the best
    alone if that scores higher); a step is taken only when it gains at least 0.2%
    (relative), so a small validation slice does not pull in weak agents by noise.

    Args:
        model: MultiAgentModel (its gate is overwritten with the fitted static blend).
        users: [n] user indices; source / target: [n, items] input history and held-out items.
        passes: coordinate-ascent sweeps over the agents.

    Returns:
        (coefficients per agent, {"agent:<name>": metric of each agent alone, "static": blend's}).
    """
    z = _agent_z(model, users, source)
    names = model.config.agents
    single = [_metric(z[:, :, i], source, target) for i in range(len(names))]
    coef = (np.asarray(single) >= _PEERS * max(single)).astype(np.float64)
    best = _metric(z @ coef, source, target)
    if best < max(single):
        coef, best = (np.arange(len(names)) == int(np.argmax(single))).astype(np.float64), max(single)
    for _ in range(passes):
        for i in range(len(names)):
            for value in _GRID:
                trial = coef.copy()
                trial[i] = value
                if trial.sum() <= 0 or value == coef[i]:
                    continue
                score = _metric(z @ trial, source, target)
                if score > best * (1.0 + _MIN_GAIN):
                    best, coef = score, trial
    set_static_gate(model, coef)
    report = {f"agent:{n}": s for n, s in zip(names, single)}
    report["static"] = best
    return coef.tolist(), report


def model_ndcg(model, users: np.ndarray, source: np.ndarray, target: np.ndarray, batch: int = 256) -> float:
    """Mean NDCG@{10,20,50} of the model's ensemble scores on (source -> target)."""
    out = []
    for start in range(0, len(users), batch):
        out.append(model({F.USER_INDEX: tf.constant(users[start:start + batch], tf.int64),
                          F.HISTORY_WEIGHTS: tf.constant(source[start:start + batch])}).numpy())
    return _metric(np.concatenate(out), source, target)
