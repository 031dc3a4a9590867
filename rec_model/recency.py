"""How much a user's latest interactions weigh in the stored histories requests read.

A model judged on each user's later interactions (an eval split in time, the pipeline's
default) serves the future: there a user's latest items say more about the next ones than
older items do. Sending a user's latest 10-20 train items again with each request (weighing
them twice) raised the MovieLens-100K demo's NDCG@10 on its time split by 0.016-0.020, while
on a random split it cost 0.006 (`bench/results/recency_s44.md`). So the stored histories
weigh each user's latest `window` interactions `BOOST` times. With
`ModelConfig.recency_window` None the window is chosen only for a model judged on later
interactions (`split_in_time`), by the fitted model's own ranking: each user's latest
training interactions (`Interactions.split_latest_per_user`) are taken out of the stored
histories and ranked under each window of `WINDOWS`. The item-side state was fitted with
them, which inflates every window's score: the windows are only compared with each other.
(A small item-item model refitted without them, the cheaper probe, showed no gain on
MovieLens-100K's time split where the served model gains 0.02 NDCG@10.) A
window must beat none by more than the paired standard error: weighing items alike is the
simpler model.
"""

import time
from typing import Dict, Optional, Tuple

import numpy as np

from rec_model import auto_settings, evaluation
from rec_model.interactions import Interactions
from rec_model.ranking_metrics import ndcg_at_k

WINDOWS = (0, 5, 10, 20, 50)  # latest interactions of a user weighed BOOST times (0 = none)
BOOST = 2.0
# Share of users whose held-out rows all come at or after their last train row for the split
# to count as one in time (rows logged from served lists after the split may break it).
IN_TIME_SHARE = 0.95
LATEST_SHARE = 0.2  # of each user's items the probe holds out, as example_gen's default
PROBE_USERS = 2000  # validation users ranked per window (seeded sample)
SETTINGS_KEY = "recency"  # the choice's entry in the trainer's settings


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


def boosted(weights: np.ndarray, row_splits: np.ndarray, window: int) -> np.ndarray:
    """[m] float32 history weights with each row's last `window` entries `BOOST` times.

    Args:
        weights: [m] weights of ragged rows in time order (`Interactions.histories`).
        row_splits: [rows + 1] int64.
        window: entries boosted per row (0 = none).
    """
    weights = np.asarray(weights, np.float32)
    if not window or weights.size == 0:
        return weights
    lengths = np.diff(row_splits)
    ends = np.repeat(row_splits[1:], lengths)
    latest = np.arange(weights.size) >= ends - window
    return np.where(latest, weights * np.float32(BOOST), weights).astype(np.float32)


def choose(requested: Optional[int], model, rest: Interactions, in_time: bool, seed: int
           ) -> Tuple[int, Dict[str, float]]:
    """(window, report): `requested` when set; else, when `in_time`, the window of `WINDOWS`
    under which `model` (fitted on `rest`) ranks `held`, each user's latest interactions,
    best; else 0. Leaves `model`'s stored histories those of `rest` unboosted.

    Args:
        requested: `ModelConfig.recency_window` (None = choose).
        model: MultiAgentModel fitted on `rest` (its gate too: the ranking served).
        rest / held: the training part and each user's latest interactions
            (`Interactions.split_latest_per_user`).
        in_time: whether the model is judged on each user's later interactions.
        seed: seeds the sample of at most `PROBE_USERS` users.

    Returns:
        The window, and {"recency_window": window, "validation_ndcg@20_window=W": ...,
        "seconds": the probe's time} (only the window when nothing was compared).
    """
    if requested is not None:
        return int(requested), {"recency_window": int(requested)}
    if not in_time or rest.timestamp is None:
        return 0, {"recency_window": 0}
    start = time.perf_counter()
    earlier, latest = rest.split_latest_per_user(LATEST_SHARE, seed)
    values, weights, splits = earlier.histories(0, model.rating_power)
    model.histories.set_histories(values, weights, splits)
    users, relevant = evaluation.held_out_sets(model, latest, PROBE_USERS, seed)
    if users.size == 0:
        model.histories.set_histories(*rest.histories(0, model.rating_power))
        return 0, {"recency_window": 0}
    k = auto_settings.VALIDATION_K
    per_user = {}
    try:
        for window in WINDOWS:
            model.histories.set_histories(values, boosted(weights, splits, window), splits)
            ids, _ = evaluation.recommend_users(model, users, min(k, model.num_items))
            per_user[window] = np.array([ndcg_at_k(row[row >= 0], relevant[int(u)], k)
                                         for row, u in zip(ids, users)])
    finally:
        model.histories.set_histories(*rest.histories(0, model.rating_power))
    best = max(WINDOWS, key=lambda window: per_user[window].mean())
    chosen = best if auto_settings.beats_beyond_paired_error(per_user[best], per_user[0]) else 0
    return chosen, {"recency_window": chosen,
                    **{f"validation_ndcg@{k}_window={w}": float(v.mean())
                       for w, v in per_user.items()},
                    "seconds": time.perf_counter() - start}
