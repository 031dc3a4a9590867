"""The gate stage's data (candidate sets of a validation slice) and its static blend.

`candidate_arrays` runs the model's own two-stage path on the validation users and keeps
every agent's scores of their candidates; the gate, the calibration temperatures and alpha
are then trained on these arrays (the agents are fixed by then). `fit_static_blend` searches
per-agent coefficients directly on NDCG (coordinate ascent), the gate's starting point and
the fallback it must beat.

When the blend is chosen on simulated new items (`simulated_cold`), blends within the
ascent's noise margin of the best (`auto_settings.earns_its_cost`) are not told apart by
NDCG, and among them the one that shows the new items most is kept (`_favour_new_items`):
a held-out slice cannot value exposure that earns a new item its first interactions, which
the feedback loop then trains on, and ties had otherwise gone to whichever blend the ascent
reached first, which made how many new items a model shows a matter of round-off.
"""

from typing import Dict, List, Tuple

import numpy as np
import tensorflow as tf

from rec_model import auto_settings, simulated_cold
from rec_model import candidates as cand
from rec_model import features as F
from rec_model.agent_gate import candidate_statistics
from rec_model.users import USER_SIDE_FEATURES

_GRID = (0.0, 0.125, 0.25, 0.375, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
_KS = (10, 20, 50)  # the selection metric averages NDCG at these cut-offs (less noisy than @10)
SOURCES = "sources"  # numpy-side only, like "targets": never a model input
SIMULATED = "simulated_cold_scores"  # numpy-side only (`simulated_cold`)
NEW_ITEMS = "simulated_new_items"  # numpy-side only: which candidates a draw made new
NUMPY_ONLY = ("targets", SOURCES, NEW_ITEMS)  # never model inputs
_ROUNDS = 3  # passes over the agents, of the ascent and of the new-items tie-break


def candidate_arrays(model, validation, simulated=()) -> Dict[str, np.ndarray]:
    """Every validation user's candidates, agent scores, labels and side features.

    Args:
        model: MultiAgentModel.
        validation: `auto_settings.Validation`.
        simulated: `simulated_cold.SimulatedCold` draws: also score their items as cold.

    Returns:
        {AGENT_CANDIDATE_SCORES [n, C, A], CANDIDATE_MASK [n, C], CANDIDATE_LABELS [n, C],
         USER_SIDE [n, s], "targets" [n] held-out item count per user, SOURCES [n, C] int32
         bits of who proposed each candidate: 1 the popular items, 2 << i agent i}, and with
        K `simulated` draws SIMULATED [n, C, A, K]: the scores with each draw's items cold,
        and NEW_ITEMS [n, C, K] bool: the candidates each draw made cold.
    """
    keys = [F.AGENT_CANDIDATE_SCORES, F.CANDIDATE_MASK, F.CANDIDATE_LABELS, F.USER_SIDE, SOURCES]
    parts = {k: [] for k in keys + ([SIMULATED, NEW_ITEMS] if simulated else [])}
    width = 0
    n = tf.constant(model.config.retrieval_candidates)
    step = auto_settings.users_per_call(model.num_items)
    for start in range(0, validation.users.size, step):
        index = tf.constant(validation.users[start:start + step], tf.int32)
        users = model.users(index)
        states = model.states(users)
        seen, _ = model.histories.rows(index)
        found = model.candidate_sources(users, states, n, seen)
        ids = model.union(found, n)
        parts[SOURCES].append(_source_bits(ids, found, model.num_items))
        eligible = ((ids >= 0) & ~cand.member_of(ids, seen, model.num_items)).numpy()
        ids = ids.numpy()
        target = validation.target[start:start + step]
        labels = np.asarray(target[np.arange(ids.shape[0])[:, None], np.maximum(ids, 0)].todense())
        scores = model.agent_scores(states, tf.constant(ids)).numpy()
        parts[F.AGENT_CANDIDATE_SCORES].append(scores)
        if simulated:
            parts[SIMULATED].append(np.stack(
                [simulated_cold.scores(model, states, ids, scores, s) for s in simulated], -1))
            parts[NEW_ITEMS].append(np.stack(
                [simulated_cold.made_cold(ids, s) for s in simulated], -1))
        parts[F.CANDIDATE_MASK].append(eligible)
        parts[F.CANDIDATE_LABELS].append((labels > 0) & eligible)
        parts[F.USER_SIDE].append(users.side.numpy())
        width = max(width, ids.shape[1])
    out = {}
    for key, chunks in parts.items():
        if key == F.USER_SIDE:
            out[key] = np.concatenate(chunks).astype(np.float32)
            continue
        padded = [np.pad(c, [(0, 0), (0, width - c.shape[1])] + [(0, 0)] * (c.ndim - 2))
                  for c in chunks]
        out[key] = np.concatenate(padded)
    out[F.CANDIDATE_LABELS] = out[F.CANDIDATE_LABELS].astype(np.float32)
    out["targets"] = np.asarray(validation.target.getnnz(axis=1), np.int64)
    return out


def _source_bits(ids, found, num_items: int) -> np.ndarray:
    """[b, C] int32 `SOURCES` bits of candidates `ids` [b, C] from `found` (see
    `MultiAgentModel.candidate_sources`)."""
    bits = np.zeros(ids.shape, np.int32)
    for source, part in found:
        proposed = cand.member_of(ids, tf.ragged.boolean_mask(part, part >= 0), num_items)
        bits |= np.where(proposed.numpy(), 1 if source is None else 2 << source, 0)
    return bits


def without_retrieval(arrays, agents: List[int]) -> Dict[str, np.ndarray]:
    """`candidate_arrays` of the model once `agents` (indices) are muted with their
    retrieval, read off `arrays` instead of run again: only their own candidates leave (those
    no other source proposed), and their scores are 0.

    Exact whenever the muted model has no `MultiAgentModel.scanner` (an agent left unmuted
    still retrieves); a scanner would propose candidates `arrays` never saw.
    """
    dropped = sum(2 << i for i in agents)
    kept = (arrays[SOURCES] & ~np.int32(dropped)) != 0
    scores = arrays[F.AGENT_CANDIDATE_SCORES].copy()
    scores[:, :, list(agents)] = 0.0
    return {**arrays, F.AGENT_CANDIDATE_SCORES: scores,
            F.CANDIDATE_MASK: arrays[F.CANDIDATE_MASK] & kept,
            F.CANDIDATE_LABELS: arrays[F.CANDIDATE_LABELS] * kept}


def standardised(arrays) -> np.ndarray:
    """[n, C, A] agent scores standardised over each user's candidates (the gate's z)."""
    mean, std = candidate_statistics(tf.constant(arrays[F.AGENT_CANDIDATE_SCORES]),
                                     tf.constant(arrays[F.CANDIDATE_MASK]))
    return ((arrays[F.AGENT_CANDIDATE_SCORES] - mean.numpy()) / std.numpy()).astype(np.float32)


def ndcg_at(scores: np.ndarray, arrays, ks) -> List[float]:
    """Mean NDCG@k for each k of `ks`, ranking each user's candidates by `scores` [n, C];
    held-out items that are not among the candidates count as misses (the ideal DCG uses
    every held-out item). One partial sort at the largest k serves every k."""
    s = np.where(arrays[F.CANDIDATE_MASK], scores, -np.inf)
    width = min(max(ks), s.shape[1])
    top = (np.argpartition(-s, width - 1, axis=1)[:, :width] if width < s.shape[1]
           else np.broadcast_to(np.arange(s.shape[1]), s.shape))
    order = np.argsort(-np.take_along_axis(s, top, 1), axis=1, kind="stable")
    hits = np.take_along_axis(arrays[F.CANDIDATE_LABELS], np.take_along_axis(top, order, 1), 1)
    discounts = 1.0 / np.log2(np.arange(2, width + 2))
    gains, ideal_gains = np.cumsum(hits * discounts, axis=1), np.cumsum(discounts)
    out = []
    for k in ks:
        k = min(k, width)
        ideal = ideal_gains[np.clip(arrays["targets"], 1, k) - 1]
        out.append(float((gains[:, k - 1] / ideal).mean()))
    return out


def ndcg(scores: np.ndarray, arrays, k: int) -> float:
    """Mean NDCG@k (see `ndcg_at`)."""
    return ndcg_at(scores, arrays, [k])[0]


def metric(scores: np.ndarray, arrays) -> float:
    return float(np.mean(ndcg_at(scores, arrays, _KS)))


def views(arrays) -> List[Dict[str, np.ndarray]]:
    """The slices the blend is chosen on: `candidate_arrays` as it is, or with a SIMULATED
    part each of its K draws' scores instead (and its NEW_ITEMS [n, C])."""
    plain = {k: v for k, v in arrays.items() if k not in (SIMULATED, NEW_ITEMS)}
    if SIMULATED not in arrays:
        return [plain]
    return [{**plain, F.AGENT_CANDIDATE_SCORES: arrays[SIMULATED][..., k],
             NEW_ITEMS: arrays[NEW_ITEMS][..., k]}
            for k in range(arrays[SIMULATED].shape[-1])]


def mean_metric(scores: List[np.ndarray], slices) -> float:
    """Mean over `slices` (`views`) of `metric`, slice i ranked by `scores[i]`."""
    return float(np.mean([metric(s, a) for s, a in zip(scores, slices)]))


def new_item_exposure(scores: List[np.ndarray], slices, k: int = max(_KS)) -> float:
    """Share of the top-k slots (the largest cut-off of the metric) that go to candidates a
    draw made new, over the users of every slice, slice i ranked by `scores[i]`."""
    shares = []
    for s, a in zip(scores, slices):
        eligible = a[F.CANDIDATE_MASK]
        width = min(k, s.shape[1])
        top = np.argpartition(-np.where(eligible, s, -np.inf), width - 1, axis=1)[:, :width]
        shares.append(np.take_along_axis(a[NEW_ITEMS] & eligible, top, 1).sum(1) / k)
    return float(np.mean(np.concatenate(shares)))


def _step(coef: np.ndarray, i: int, value: float):
    """`coef` with agent i's coefficient set to `value`; None if that is no change or
    leaves no agent."""
    trial = coef.copy()
    trial[i] = value
    return None if value == coef[i] or trial.sum() <= 0 else trial


def _moves(coef: np.ndarray) -> list:
    """Every blend one agent's coefficient away from `coef` on the grid."""
    found = (_step(coef, i, value) for i in range(coef.size) for value in _GRID)
    return [trial for trial in found if trial is not None]


def _favour_new_items(coef, best: float, shown: float, blended, exposure
                      ) -> Tuple[np.ndarray, float, float]:
    """From `coef` (the ascent's, scoring `best` and showing new items `shown`), moves one
    coefficient at a time to the blend that shows new items most (`exposure`) among those
    `blended` does not score significantly below `best`; always measured against `best`, so
    steps cannot add up to more than the ascent's noise margin.

    Returns:
        (the blend kept, its `blended` score, its `exposure`).
    """
    score = best
    for _ in range(_ROUNDS * coef.size):
        scored = ((blended(t), t) for t in _moves(coef))
        tied = [(exposure(t), s, t) for s, t in scored
                if not auto_settings.earns_its_cost(best, s)]
        most = max(tied, key=lambda entry: entry[0], default=None)
        if most is None or most[0] <= shown:
            break
        shown, score, coef = most
    return coef, score, shown


def fit_static_blend(slices, names) -> Tuple[List[float], Dict[str, float]]:
    """Coordinate ascent of per-agent coefficients on mean NDCG@{10,20,50}.

    Starts from the best single agent; a step is taken only when it gains at least 0.2%
    (relative), so a small slice does not pull in weak agents by noise. On slices with
    simulated new items, ties then go to the blend that shows them most (module docstring).

    Args:
        slices: `views`; the metric is their mean.
        names: the agents' names.

    Returns:
        (coefficients per agent, {"agent:<name>": each agent alone, "static": the blend;
         with new items also "static_most_accurate" (the ascent's blend) and
         "new_item_exposure" of both}).
    """
    zs = [standardised(a) for a in slices]

    def blended(coefficients) -> float:
        return mean_metric([z @ coefficients for z in zs], slices)

    def exposure(coefficients) -> float:
        return new_item_exposure([z @ coefficients for z in zs], slices)

    single = [blended(np.eye(len(names))[i]) for i in range(len(names))]
    coef = (np.arange(len(names)) == int(np.argmax(single))).astype(np.float64)
    best = max(single)
    for _ in range(_ROUNDS):
        for i in range(len(names)):
            for value in _GRID:
                trial = _step(coef, i, value)
                if trial is None:
                    continue
                score = blended(trial)
                if auto_settings.earns_its_cost(score, best):
                    best, coef = score, trial
    report = {f"agent:{n}": s for n, s in zip(names, single)}
    report["static"] = best
    if NEW_ITEMS in slices[0]:
        shown = exposure(coef)
        report.update(static_most_accurate=best, new_item_exposure_most_accurate=shown)
        coef, report["static"], report["new_item_exposure"] = _favour_new_items(
            coef, best, shown, blended, exposure)
    return coef.tolist(), report


def set_static_gate(gate, coefficients) -> None:
    """Gate = constant per-agent weights proportional to `coefficients` (>= 0, not all 0)."""
    c = np.asarray(coefficients, np.float64)
    if c.shape != (gate.num_agents,) or c.min() < 0 or c.sum() <= 0:
        raise ValueError(f"coefficients {c} must be {gate.num_agents} non-negative numbers, "
                         "not all zero")
    if not gate.mix.built:
        gate.mix.build((None, USER_SIDE_FEATURES))
    gate.mix.kernel.assign(tf.zeros_like(gate.mix.kernel))
    gate.mix.bias.assign(np.log(c / c.sum() + 1e-9).astype(np.float32))
    gate.log_scale.assign(tf.zeros_like(gate.log_scale))
