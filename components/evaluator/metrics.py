"""Recall@K / NDCG@K over ranked id lists, and the popularity baseline (../shared/BENCHMARK.md).

The per-user formulas are `rec_model.ranking_metrics.recall_at_k` / `ndcg_at_k`; this module
feeds them string ids, so every model is scored by the same code the trainer reports with.
"""

from typing import Collection, Dict, Sequence

from rec_model import ranking_metrics


def rank_metrics(ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]],
                 ks: Sequence[int]) -> Dict[str, float]:
    """Averages Recall@K and NDCG@K over users.

    Args:
        ranked: per user, item ids best first (may be shorter than K: missing ranks are misses).
        relevant: per user, the non-empty set of held-out item ids.
        ks: cut-offs.

    Returns:
        {"recall@K": .., "ndcg@K": .. for every K, "users": count}.
    """
    if len(ranked) != len(relevant):
        raise ValueError(f"{len(ranked)} ranked lists for {len(relevant)} users; give one list per user")
    if not ranked:
        raise ValueError("no users to average over; the eval split must have users with eval items")
    sums = {f"{m}@{k}": 0.0 for k in ks for m in ("recall", "ndcg")}
    for row, rel in zip(ranked, relevant):
        index = {item: n for n, item in enumerate(sorted(set(rel)))}
        as_ints = [index.get(item, -1) for item in row]
        for k in ks:
            sums[f"recall@{k}"] += ranking_metrics.recall_at_k(as_ints, index.values(), k)
            sums[f"ndcg@{k}"] += ranking_metrics.ndcg_at_k(as_ints, index.values(), k)
    out = {key: value / len(ranked) for key, value in sums.items()}
    out["users"] = len(ranked)
    return out


def popularity_ranking(item_counts: Dict[str, int]) -> list:
    """Items by train count, most popular first (ties by id, so the order is deterministic)."""
    return [item for item, _ in sorted(item_counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def popularity_metrics(data, ks: Sequence[int]) -> Dict[str, float]:
    """Metrics of recommending the most popular train items the user has not seen.

    Args:
        data: an `eval_data.EvalSet`.
        ks: cut-offs.
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
    return rank_metrics(ranked, [data.relevant[u] for u in data.users], ks)
