"""Full-ranking metrics of a SavedModel called through its serving signatures.

Overall metrics come from `recommend` (what serving returns): each eval user is sent with
`exclude` = all their train items (and `history` = their `history_length` most recent train
items, none by default), asking for k = max(ks) items (capped at the catalogue; halved while
the model rejects k as too large).

Per-agent metrics rank the whole catalogue by each agent's column of `agent_scores`:
- with a `score` signature ("score_signature"): every catalogue item is scored for every user,
  train items removed, and each agent's column is ranked on its own -- the agent's true
  full-ranking quality, on at most `EvaluatorConfig.per_agent_max_cells` user x item
  cells (a seeded sub-sample of the evaluated users beyond that);
- without one ("rerank_top_k"): the combined top-k of `recommend` is re-ranked by each
  agent's column -- an approximation bounded by the combined list's recall.
"""

import logging
from typing import Dict, List, Sequence

import numpy as np

from components.evaluator import metrics, model_io
from rec_model import features as F
from rec_model.sampled_metrics import sample_users

# At most this many (user, item) string pairs per `score` call.
_SCORE_CELLS = 2_000_000


def _batches(seq, size):
    for start in range(0, len(seq), size):
        yield seq[start: start + size]


def _choose_k(model, data, kmax: int) -> int:
    import tensorflow as tf

    k = max(1, min(kmax, len(data.catalogue)))
    user = data.users[0]
    while True:
        try:
            model.recommend([user], k, [data.history[user][-1:]], [data.history[user]])
            return k
        except tf.errors.InvalidArgumentError as err:
            if k == 1:
                raise ValueError(f"{model.path}: recommend rejects k=1: {err.message}") from None
            logging.warning("evaluator: %s rejects k=%d (%s); retrying with k=%d",
                            model.path, k, err.message.splitlines()[0], k // 2)
            k //= 2


def _clean(items, scores, excluded) -> List[str]:
    """Drops padding, excluded items and non-finite (masked) scores; keeps the order."""
    finite = np.isfinite(scores).tolist()  # One numpy call, not one per item.
    return [i for i, f in zip(items, finite) if f and i and i not in excluded]


def _top_k(column: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first, ties by index: `argsort(-column, stable)[:k]`
    without sorting the whole catalogue (that sort per user and agent dominated at 100k
    items). NaN scores rank last, like -inf."""
    column = np.where(np.isnan(column), -np.inf, column)
    if k < column.size:
        bar = column[np.argpartition(-column, k - 1)[:k]].min()
        above = np.flatnonzero(column > bar)
        top = np.concatenate([above, np.flatnonzero(column == bar)[: k - above.size]])
    else:
        top = np.arange(column.size)
    return top[np.lexsort((top, -column[top]))]


def _per_agent_by_score(model, data, users, kmax, n_agents) -> List[List[List[str]]]:
    """[agent][user] ranked lists from the `score` signature over the whole catalogue, and
    [agent] whether any of its scores was non-zero (a muted agent scores 0 everywhere)."""
    catalogue = np.asarray(data.catalogue, dtype=object)
    shared = model_io.shared_items(data.catalogue)  # [1, items]
    position = {item: n for n, item in enumerate(data.catalogue)}
    ranked = [[] for _ in range(n_agents)]
    scored = np.zeros(n_agents, bool)
    step = max(1, _SCORE_CELLS // max(1, len(catalogue)))
    for batch in _batches(users, step):
        # [b, items, agents]
        out = model.score(batch, shared)[F.AGENT_SCORES]
        nonzero = np.any(out != 0, axis=1)  # [b, agents]; NaN counts as non-zero
        scored |= nonzero.any(axis=0)
        for row, user in enumerate(batch):
            seen = [position[i] for i in data.history[user] if i in position]
            # An all-zero column ranks its unseen items by index (what `_top_k` does on ties).
            by_index = np.delete(np.arange(len(catalogue)), seen)[:kmax]
            for agent in range(n_agents):
                if not nonzero[row, agent]:
                    ranked[agent].append([str(i) for i in catalogue[by_index]])
                    continue
                column = out[row, :, agent].astype(np.float64)
                column[seen] = -np.inf
                top = _top_k(column, kmax)
                ranked[agent].append([str(catalogue[t]) for t in top if np.isfinite(column[t])])
    return ranked, scored


def per_agent_users(users: Sequence, catalogue_size: int, config) -> List:
    """The evaluated users the per-agent breakdown ranks the whole catalogue for: all of them
    while users x catalogue stays within `config.per_agent_max_cells`, else the seeded
    sub-sample (`sample_users`, same seed) that does."""
    limit = max(1, config.per_agent_max_cells // max(1, catalogue_size))
    return sample_users(users, limit, config.seed) if len(users) > limit else list(users)


def model_metrics(model, data, config) -> Dict:
    """Evaluates one model.

    Args:
        model: a `model_io.ServingSignatures`.
        data: an `eval_data.EvalSet`.
        config: an `EvaluatorConfig`.

    Returns:
        {"recall@K", "ndcg@K", "users", "ci", "confidence", "k", "agent_names",
         "per_agent_method", "per_agent": {agent: {"recall@K", "ndcg@K", "users", "ci"}},
         "per_agent_users" (how many users the breakdown ranked; with `per_agent`),
         "muted_agents" (left out of per_agent),
         metrics.PER_USER: per-user values (drop before writing JSON)}.
    """
    users = list(data.users)
    kmax = max(config.ks)
    k = _choose_k(model, data, kmax)
    ranked, agent_names, reranked = [], None, None
    for batch in _batches(users, config.batch_size):
        history = [config.sent_history(data.history[u]) for u in batch]
        out = model.recommend(batch, k, history, [data.history[u] for u in batch])
        agent_names = [str(n) for n in out[F.AGENT_NAMES]]
        if reranked is None:
            reranked = [[] for _ in agent_names]
        for row, user in enumerate(batch):
            seen = set(data.history[user])
            items, scores = list(out[F.ITEM_IDS][row]), out[F.SCORES][row]
            finite = np.isfinite(scores)
            ranked.append(_clean(items, scores, seen))
            for agent in range(len(agent_names)):
                column = out[F.AGENT_SCORES][row, :, agent]
                order = np.argsort(-column, kind="stable")
                order = order[finite[order]]
                reranked[agent].append(_clean([items[n] for n in order], column[order], seen))
    relevant = [data.relevant[u] for u in users]
    result = dict(metrics.rank_metrics(ranked, relevant, config.ks, config.confidence,
                                       keep_per_user=True))
    result.update(k=k, agent_names=agent_names, per_agent={}, per_agent_method=None,
                  muted_agents=[])
    if config.per_agent and agent_names:
        scored = np.ones(len(agent_names), bool)
        agent_users = users
        if model.has_score:
            agent_users = per_agent_users(users, len(data.catalogue), config)
            per_agent, scored = _per_agent_by_score(model, data, agent_users, kmax,
                                                    len(agent_names))
            result["per_agent_method"] = "score_signature"
        else:
            per_agent = reranked
            result["per_agent_method"] = "rerank_top_k"
        relevant = [data.relevant[u] for u in agent_users]
        result["per_agent_users"] = len(agent_users)
        # A muted agent (weight 0 in the blend) scores 0 everywhere: no ranking to judge.
        result["muted_agents"] = [n for a, n in enumerate(agent_names) if not scored[a]]
        result["per_agent"] = {name: metrics.rank_metrics(per_agent[a], relevant, config.ks,
                                                          config.confidence)
                               for a, name in enumerate(agent_names) if scored[a]}
    return result
