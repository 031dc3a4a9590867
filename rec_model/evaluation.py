"""Ranking quality of a trained model through its own two-stage `recommend` path.

Users are scored from their stored histories, which are excluded from the ranking, exactly
as `recommend` serves them; a seeded sample of at most `max_users` users keeps the cost
bounded, and every mean comes with a 95% confidence interval over users.
"""

from typing import Dict

import numpy as np
import tensorflow as tf

from rec_model import auto_settings
from rec_model.interactions import Interactions
from rec_model.ranking_metrics import ndcg_at_k, recall_at_k
from rec_model.sampled_metrics import mean_with_ci, sample_users


def recommend_users(model, users: np.ndarray, k: int):
    """(ids [n, k], contributions [n, k, agents]) of `model.recommend_indices` for known users,
    their stored histories excluded."""
    ids, contributions = [], []
    step = auto_settings.users_per_call(model.num_items)
    for start in range(0, users.size, step):
        index = tf.constant(users[start:start + step], tf.int32)
        batch = model.users(index)
        seen, _ = model.histories.rows(index)
        top, _, contrib = model.recommend_indices(batch, tf.constant(k), seen, seen[:, :0])
        ids.append(top.numpy())
        contributions.append(contrib.numpy())
    return np.concatenate(ids), np.concatenate(contributions)


def held_out_sets(model, test: Interactions, max_users: int, seed: int):
    """(users [n] sampled, {user: set of test items not stored for the user})."""
    relevant: Dict[int, set] = {}
    for u, i in zip(test.user_index.tolist(), test.item_index.tolist()):
        relevant.setdefault(u, set()).add(i)
    values, splits = model.histories.values.numpy(), model.histories.row_splits.numpy()
    for u in list(relevant):
        relevant[u] -= set(values[splits[u]:splits[u + 1]].tolist())
        if not relevant[u]:
            del relevant[u]
    users = np.array(sample_users(sorted(relevant), max_users, seed), np.int64)
    return users, relevant


def ranking_metrics(ids: np.ndarray, users: np.ndarray, relevant, ks) -> Dict[str, float]:
    """Recall@k / NDCG@k means and 95% CI half-widths of ranked ids [n, >= max(ks)] (PAD < 0)."""
    out = {}
    for k in ks:
        for name, fn in (("recall", recall_at_k), ("ndcg", ndcg_at_k)):
            stats = mean_with_ci([fn(row[row >= 0], relevant[int(u)], k)
                                  for row, u in zip(ids, users)])
            out[f"{name}@{k}"], out[f"{name}@{k}_ci95"] = stats.mean, stats.half_width
    return out


def popularity_ids(model, users: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """[n, k] most popular items each user has not stored (the popularity baseline)."""
    order = np.argsort(-counts, kind="stable")
    values, splits = model.histories.values.numpy(), model.histories.row_splits.numpy()
    out = np.full((users.size, k), -1, np.int64)
    for row, u in enumerate(users):
        seen = set(values[splits[u]:splits[u + 1]].tolist())
        top = [i for i in order[:k + len(seen)] if i not in seen][:k]
        out[row, :len(top)] = top
    return out


def evaluate(model, test: Interactions, ks=(10,), max_users: int = 10000, seed: int = 0,
             baseline_counts: np.ndarray = None) -> Dict:
    """Recall@k / NDCG@k (mean and 95% CI) over a sample of the users with test items.

    Args:
        model: trained MultiAgentModel whose stored histories are the training data.
        test: held-out interactions (items stored for the user are not counted).
        ks: cut-offs.
        max_users: users evaluated at most (seeded sample).
        baseline_counts: optional [items] counts; adds "popularity_*" metrics on the same users.

    Returns:
        {"recall@K", "ndcg@K", "recall@K_ci95", "ndcg@K_ci95", "users", "users_total",
         "agent_share": {agent: share of the absolute contributions in the top max(ks)},
         "popularity_recall@K", ...}; {} without test users.
    """
    users, relevant = held_out_sets(model, test, max_users, seed)
    if users.size == 0:
        return {}
    ids, contributions = recommend_users(model, users, max(ks))
    out = {"users": int(users.size), "users_total": len(relevant),
           **ranking_metrics(ids, users, relevant, ks)}
    absolute = np.abs(contributions).sum(axis=(0, 1))
    out["agent_share"] = dict(zip(model.agent_names,
                                  (absolute / max(absolute.sum(), 1e-12)).tolist()))
    if baseline_counts is not None:
        popular = popularity_ids(model, users, baseline_counts, max(ks))
        out.update({f"popularity_{key}": value for key, value in
                    ranking_metrics(popular, users, relevant, ks).items()})
    return out
