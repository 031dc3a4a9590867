"""Top-K ranking metrics of the benchmark protocol (`../shared/BENCHMARK.md`).

Recall@K = hits in the top K / min(#relevant, K); NDCG@K uses binary gain, a log2
discount and an ideal DCG over min(#relevant, K) positions. Both are averaged over
users with at least one relevant item. Pure numpy, so every model (Keras or not) is
scored by the same code.
"""

from typing import Dict, Iterable, Sequence

import numpy as np


def recall_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """Recall@K of one user.

    Args:
        ranked: item indices, best first (at least `k` long, or the whole ranking).
        relevant: the user's held-out item indices (non-empty).
        k: cut-off.

    Returns:
        hits in `ranked[:k]` / min(len(relevant), k).
    """
    relevant = set(int(i) for i in relevant)
    if not relevant:
        raise ValueError("recall_at_k needs at least one relevant item; "
                         "skip users without test items")
    hits = sum(1 for i in ranked[:k] if int(i) in relevant)
    return hits / min(len(relevant), k)


def ndcg_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """NDCG@K of one user with binary gain and log2 discount.

    Args:
        ranked: item indices, best first.
        relevant: the user's held-out item indices (non-empty).
        k: cut-off.

    Returns:
        DCG@K / ideal DCG over min(len(relevant), k) positions.
    """
    relevant = set(int(i) for i in relevant)
    if not relevant:
        raise ValueError("ndcg_at_k needs at least one relevant item; "
                         "skip users without test items")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = sum(discounts[r] for r, i in enumerate(ranked[:k]) if int(i) in relevant)
    idcg = discounts[: min(len(relevant), k)].sum()
    return float(dcg / idcg)


def evaluate_scores(
    scores: np.ndarray,
    test_items: Dict[int, Sequence[int]],
    exclude_items: Dict[int, Sequence[int]],
    ks: Sequence[int] = (10, 50, 100),
    candidate_items: np.ndarray = None,
) -> Dict[str, float]:
    """Averages Recall@K and NDCG@K over users from a dense score matrix.

    Args:
        scores: [users, items] float, higher is better; row u scores user u.
        test_items: user -> held-out item indices; users with none are skipped.
        exclude_items: user -> item indices removed from the ranking (train history).
        ks: cut-offs.
        candidate_items: optional item indices to rank among (others are never ranked).

    Returns:
        {"recall@K": .., "ndcg@K": ..} for every K, plus "users" (count averaged over).
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    if candidate_items is not None:
        mask = np.ones(scores.shape[1], dtype=bool)
        mask[np.asarray(candidate_items)] = False
        scores[:, mask] = -np.inf
    kmax = max(ks)
    sums = {f"{m}@{k}": 0.0 for k in ks for m in ("recall", "ndcg")}
    users = 0
    for user, relevant in test_items.items():
        if len(relevant) == 0:
            continue
        row = scores[user]
        excluded = exclude_items.get(user, ())
        if len(excluded):
            row[np.asarray(excluded, dtype=np.int64)] = -np.inf
        top = np.argpartition(-row, kmax)[:kmax] if kmax < row.size else np.arange(row.size)
        top = top[np.argsort(-row[top], kind="stable")]
        top = top[np.isfinite(row[top])]
        for k in ks:
            sums[f"recall@{k}"] += recall_at_k(top, relevant, k)
            sums[f"ndcg@{k}"] += ndcg_at_k(top, relevant, k)
        users += 1
    if users == 0:
        raise ValueError("no user has a test item; check the split")
    out = {key: value / users for key, value in sums.items()}
    out["users"] = users
    return out


def coverage_and_popularity(
    scores: np.ndarray, exclude_items: Dict[int, Sequence[int]], item_counts: np.ndarray,
    k: int = 10
) -> Dict[str, float]:
    """Catalogue coverage of the top-K lists and their mean popularity percentile.

    Args:
        scores: [users, items] float.
        exclude_items: user -> item indices removed from the ranking.
        item_counts: [items] train interaction counts.
        k: list length.

    Returns:
        {"coverage@K": share of items in any user's top K,
         "popularity_percentile@K": mean percentile (0-100) of recommended items' counts}.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    for user, excluded in exclude_items.items():
        if len(excluded):
            scores[user, np.asarray(excluded, dtype=np.int64)] = -np.inf
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(np.argsort(item_counts, kind="stable"), kind="stable")
    percentile = 100.0 * order / max(len(item_counts) - 1, 1)
    return {
        f"coverage@{k}": float(np.unique(top).size / scores.shape[1]),
        f"popularity_percentile@{k}": float(percentile[top].mean()),
    }
