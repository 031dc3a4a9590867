"""Recall@K / NDCG@K over ranked id lists, and the popularity baseline (../shared/BENCHMARK.md).

The per-user formulas are `rec_model.ranking_metrics.recall_at_k` / `ndcg_at_k`; this module
feeds them string ids, so every model is scored by the same code the trainer reports with.
"""

from typing import Collection, Dict, Sequence

import numpy as np

from rec_model import ranking_metrics
from rec_model.sampled_metrics import mean_with_ci

PER_USER = "per_user"  # Key of the per-user values (numpy; dropped before the JSON report).


def per_user_metrics(ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]],
                     ks: Sequence[int]) -> Dict[str, np.ndarray]:
    """Recall@K and NDCG@K of each user.

    Args:
        ranked: per user, item ids best first (may be shorter than K: missing ranks are misses).
        relevant: per user, the non-empty set of held-out item ids.
        ks: cut-offs.

    Returns:
        {"recall@K": [users] float64, "ndcg@K": [users] float64} for every K.
    """
    if len(ranked) != len(relevant):
        raise ValueError(f"{len(ranked)} ranked lists for {len(relevant)} users; "
                         "give one list per user")
    if not ranked:
        raise ValueError("no users to average over; the eval split must have users with "
                         "eval items")
    out = {f"{m}@{k}": np.zeros(len(ranked)) for k in ks for m in ("recall", "ndcg")}
    for n, (row, rel) in enumerate(zip(ranked, relevant)):
        index = {item: j for j, item in enumerate(sorted(set(rel)))}
        as_ints = [index.get(item, -1) for item in row]
        for k in ks:
            out[f"recall@{k}"][n] = ranking_metrics.recall_at_k(as_ints, index.values(), k)
            out[f"ndcg@{k}"][n] = ranking_metrics.ndcg_at_k(as_ints, index.values(), k)
    return out


def rank_metrics(ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]],
                 ks: Sequence[int], confidence: float = 0.95,
                 keep_per_user: bool = False) -> Dict:
    """Averages Recall@K and NDCG@K over users, with confidence intervals.

    Args:
        ranked, relevant, ks: as in `per_user_metrics`.
        confidence: coverage of the intervals (normal approximation over users).
        keep_per_user: also return the per-user values under `PER_USER` (for paired
            comparisons; not JSON-serialisable).

    Returns:
        {"recall@K": mean, "ndcg@K": mean for every K, "users": count,
         "ci": {"recall@K": [low, high], ...}, "confidence": confidence}.
    """
    values = per_user_metrics(ranked, relevant, ks)
    out: Dict = {"users": len(ranked), "confidence": confidence, "ci": {}}
    for name, column in values.items():
        summary = mean_with_ci(column, confidence)
        out[name] = summary.mean
        out["ci"][name] = summary.as_list()
    if keep_per_user:
        out[PER_USER] = values
    return out


def popularity_ranking(item_counts: Dict[str, int]) -> list:
    """Items by train count, most popular first (ties by id, so the order is deterministic)."""
    return [item for item, _ in sorted(item_counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def popularity_metrics(data, ks: Sequence[int], confidence: float = 0.95,
                       keep_per_user: bool = False) -> Dict:
    """Metrics of recommending the most popular train items the user has not seen.

    Args:
        data: an `eval_data.EvalSet`.
        ks, confidence, keep_per_user: as in `rank_metrics`.
    """
    order = popularity_ranking(data.item_counts)
    kmax = max(ks)
    ranked = []
    for user in data.users:
        seen = set(data.history[user])
        row = []
        for item in order:
            if item not in seen:
                row.append(item)
                if len(row) == kmax:
                    break
        ranked.append(row)
    return rank_metrics(ranked, [data.relevant[u] for u in data.users], ks, confidence,
                        keep_per_user)
