"""How much a user's latest interactions weigh in the stored histories requests read.

A model judged on each user's later interactions (an eval split in time, the pipeline's
default) serves the future: there a user's latest items say more about the next ones than
older items do. Sending a user's latest 10-20 train items again with each request (weighing
them twice) raised the MovieLens-100K demo's NDCG@10 on its time split by 0.016-0.020, while
on a random split it cost 0.006 (`bench/results/recency_s44.md`). So each stored interaction
weighs more the more recent it is: 1 + boost x 0.5 ** (age / half_life) times its weight, age
counted in items back from the user's latest. With `ModelConfig.recency_half_life` None the
pair is chosen only for a model judged on later interactions (`split_in_time`), by the
trained model's own ranking: each user's latest training interactions
(`Interactions.split_latest_per_user`) are taken out, the model's closed forms refitted
without them, and they are ranked through `recommend` under each pair of `HALF_LIVES` x
`BOOSTS` and under none. (A small item-item model in numpy, the cheaper probe, showed no
gain on MovieLens-100K's time split where the served model gains; the served model without
the refit, whose item side had seen the items ranked, chose a weighting that hurt on a shape
without drift.) A pair must beat none by more than the paired standard error: weighing items
alike is the simpler model.
"""

import itertools
import time
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from rec_model import auto_settings, evaluation
from rec_model.interactions import Interactions
from rec_model.ranking_metrics import ndcg_at_k

# A stored interaction `age` items before a user's latest weighs 1 + boost x 0.5 ** (age /
# half_life) times its weight; the pair is chosen from this grid (or none: all alike).
HALF_LIVES = (3.0, 5.0, 10.0, 20.0)  # in items
BOOSTS = (1.0, 3.0, 7.0, 15.0)  # the latest item weighs 1 + boost
NONE = (0.0, 0.0)  # (half-life, boost) of weighing every stored item alike
# Share of users whose held-out rows all come at or after their last train row for the split
# to count as one in time (rows logged from served lists after the split may break it).
IN_TIME_SHARE = 0.95
LATEST_SHARE = 0.2  # of each user's items the probe holds out, as example_gen's default
PROBE_USERS = 2000  # users ranked under each weighting (a seeded sample)
SETTINGS_KEY = "recency"  # the choice's entry in the trainer's settings


def requested(config) -> Optional[Tuple[float, float]]:
    """(half-life, boost) fixed by a ModelConfig, or None when the trainer chooses."""
    if config.recency_half_life is None:
        return None
    return ((float(config.recency_half_life), float(config.recency_boost))
            if config.recency_half_life else NONE)


def split_in_time(train: Interactions, held: Interactions) -> bool:
    """Whether `held` holds each user's latest interactions: for at least `IN_TIME_SHARE` of
    the users in both, every held-out row is at or after the user's last train row (feedback
    rows aside). False without varying timestamps or without held-out rows."""
    if held.size == 0 or train.timestamp is None or held.timestamp is None:
        return False
    if not np.ptp(train.timestamp) > 0:
        return False
    organic = (np.ones(train.size, bool) if train.from_feedback is None
               else ~train.from_feedback)
    last = np.full(train.num_users, -np.inf)
    np.maximum.at(last, train.user_index[organic], train.timestamp[organic])
    first = np.full(held.num_users, np.inf)
    np.minimum.at(first, held.user_index, held.timestamp)
    both = np.isfinite(last) & np.isfinite(first)
    return bool(both.any() and np.mean(first[both] >= last[both]) >= IN_TIME_SHARE)


def weighted(weights: np.ndarray, row_splits: np.ndarray, half_life: float, boost: float
             ) -> np.ndarray:
    """[m] float32 history weights, each times 1 + boost x 0.5 ** (age / half_life), age the
    entry's distance from its row's last (0 for the latest).

    Args:
        weights: [m] weights of ragged rows in time order (`Interactions.histories`).
        row_splits: [rows + 1] int64.
        half_life / boost: the decay (half_life 0 or boost 0 = unchanged).
    """
    weights = np.asarray(weights, np.float32)
    if not half_life or not boost or weights.size == 0:
        return weights
    ends = np.repeat(np.asarray(row_splits[1:], np.int64), np.diff(row_splits))
    age = (ends - 1 - np.arange(weights.size)).astype(np.float64)
    return (weights * (1.0 + boost * 0.5 ** (age / half_life))).astype(np.float32)


def choose(requested: Optional[Tuple[float, float]], model, rest: Interactions,
           in_time: bool, seed: int, refit: Callable[[Interactions], object]
           ) -> Tuple[Tuple[float, float], Dict[str, float]]:
    """((half_life, boost), report): `requested` when set; else, when `in_time`, the pair of
    `HALF_LIVES` x `BOOSTS` (or `NONE`) under which `model`, refitted without each user's
    latest `LATEST_SHARE` of `rest`, best ranks those items; else `NONE`. When it probes, it
    leaves `model` fitted on the rest of `rest`: the caller refits it.

    Args:
        requested: (half-life, boost) from `ModelConfig` (None = choose).
        model: MultiAgentModel trained on `rest`, its gate fitted (the ranking served).
        rest: the training part (the trainer's validation slice taken out).
        in_time: whether the model is judged on each user's later interactions.
        seed: seeds the split's ties and the sample of at most `PROBE_USERS` users.
        refit: refits `model`'s closed forms, statistics and stored histories on the data
            given (the trainer's `refit`).

    Returns:
        The pair, and {"half_life", "boost", "validation_ndcg@20_half_life=H_boost=B": ...
        (0 and 0 for none), "seconds": the probe's time} (only the pair when nothing was
        compared).
    """
    def report(pair):
        return {"half_life": float(pair[0]), "boost": float(pair[1])}

    if requested is not None:
        return tuple(requested), report(requested)
    if not in_time or rest.timestamp is None:
        return NONE, report(NONE)
    start = time.perf_counter()
    earlier, latest = rest.split_latest_per_user(LATEST_SHARE, seed)
    # Fitted with the items it ranks, the item-side state favours weightings that do not
    # help on later data (a MovieLens-like shape without drift: +10% on the slice, -8%
    # on its time split; bench/results/recency_s45.md).
    refit(earlier)
    values, weights, splits = earlier.histories(0, model.rating_power)
    users, relevant = evaluation.held_out_sets(model, latest, PROBE_USERS, seed)
    per_user = {}
    k = auto_settings.VALIDATION_K
    for pair in [NONE, *itertools.product(HALF_LIVES, BOOSTS)] if users.size else []:
        model.histories.set_histories(values, weighted(weights, splits, *pair), splits)
        ids, _ = evaluation.recommend_users(model, users, min(k, model.num_items))
        per_user[pair] = np.array([ndcg_at_k(row[row >= 0], relevant[int(u)], k)
                                   for row, u in zip(ids, users)])
    if not per_user:
        return NONE, report(NONE)
    best = max(per_user, key=lambda pair: per_user[pair].mean())
    if not auto_settings.beats_beyond_paired_error(per_user[best], per_user[NONE]):
        best = NONE
    return best, {**report(best),
                  **{f"validation_ndcg@{k}_half_life={h:g}_boost={b:g}":
                     float(v.mean()) for (h, b), v in per_user.items()},
                  "seconds": time.perf_counter() - start}
