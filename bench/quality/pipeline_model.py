"""The multi-agent model exactly as the pipeline trains and serves it, on protocol splits.

`train_exported` hands the split's train rows to the trainer component's own
`train_and_export` (the same training, evaluation slice, refit and SavedModel export as
the pipeline's trainer) and loads the exported `Format-Serving` SavedModel; the benchmark
then ranks through its `recommend` / `score` signatures, as a client of TF Serving would.
"""

import os
from typing import Dict, List, Sequence

import numpy as np

from rec_model.ranking_metrics import ndcg_at_k, recall_at_k

_BATCH = 128


def item_id(index: int) -> str:
    """MovieLens id of an item index."""
    return str(int(index) + 1)


def user_id(index: int) -> str:
    return str(int(index) + 1)


def _rows(rows: np.ndarray):
    """[n, 4] (user, item, rating, timestamp) index rows -> the trainer's string rows."""
    return (np.array([user_id(u) for u in rows[:, 0]], object),
            np.array([item_id(i) for i in rows[:, 1]], object),
            rows[:, 3].astype(np.int64), rows[:, 2].astype(np.float32))


def write_embeddings(texts_embeddings: np.ndarray, folder: str) -> str:
    from rec_model.item_embeddings import save_item_embeddings

    save_item_embeddings(folder, [item_id(i) for i in range(texts_embeddings.shape[0])],
                         texts_embeddings, {"backbone": "bench cache"})
    return folder


def train_exported(train_rows: np.ndarray, embeddings_dir: str, work_dir: str, model_config,
                   trainer_config=None):
    """Trains through `components.trainer.train.train_and_export`.

    Returns:
        (ServingSignatures of the exported SavedModel, the model card).
    """
    from components.evaluator.model_io import ServingSignatures
    from components.model_layout import SERVING_SUBDIR
    from components.trainer.config import TrainerConfig
    from components.trainer.train import train_and_export
    from components.trainer.training_inputs import build_inputs

    empty = (np.zeros(0, object), np.zeros(0, object), np.zeros(0, np.int64), np.zeros(0))
    inputs = build_inputs(_rows(train_rows), empty, embeddings_dir)
    model_dir = os.path.join(work_dir, "model")
    card = train_and_export(inputs, model_dir, os.path.join(work_dir, "logs"), model_config,
                            trainer_config or TrainerConfig(backup=False))
    return ServingSignatures(os.path.join(model_dir, SERVING_SUBDIR)), card


def recommend_all(model, users: Sequence[int], train_by_user: Dict[int, List[int]], k: int):
    """Per user: (ranked item indices, agent contributions [k, agents]) from `recommend`,
    the user's train items excluded (the model also excludes its stored history)."""
    ranked, contributions, names = {}, {}, None
    users = list(users)
    for start in range(0, len(users), _BATCH):
        batch = users[start:start + _BATCH]
        exclude = [[item_id(i) for i in train_by_user.get(u, [])] for u in batch]
        out = model.recommend([user_id(u) for u in batch], k, [[] for _ in batch], exclude)
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in out["agent_names"]]
        for row, u in enumerate(batch):
            ids = [x.decode() if isinstance(x, bytes) else str(x) for x in out["item_ids"][row]]
            keep = [n for n, x in enumerate(ids) if x]
            ranked[u] = [int(ids[n]) - 1 for n in keep]
            contributions[u] = out["agent_scores"][row][keep]
    return ranked, contributions, names


def rank_among(model, users: Sequence[int], candidates: np.ndarray) -> Dict[int, List[int]]:
    """Per user, `candidates` ordered by the `score` signature (best first)."""
    out = {}
    ids = [item_id(i) for i in candidates]
    users = list(users)
    for start in range(0, len(users), _BATCH):
        batch = users[start:start + _BATCH]
        scores = model.score([user_id(u) for u in batch], [ids] * len(batch))["scores"]
        for row, u in enumerate(batch):
            out[u] = [int(candidates[n]) for n in np.argsort(-scores[row], kind="stable")]
    return out


def list_metrics(ranked: Dict[int, List[int]], relevant: Dict[int, List[int]], ks) -> Dict:
    """Recall@k / NDCG@k averaged over users with relevant items (protocol definitions)."""
    users = [u for u, items in relevant.items() if items]
    out = {"users": len(users)}
    for k in ks:
        out[f"recall@{k}"] = float(np.mean([recall_at_k(ranked.get(u, []), relevant[u], k)
                                            for u in users]))
        out[f"ndcg@{k}"] = float(np.mean([ndcg_at_k(ranked.get(u, []), relevant[u], k)
                                          for u in users]))
    return out


def list_coverage(ranked: Dict[int, List[int]], counts: np.ndarray, k: int = 10) -> Dict:
    """Catalogue coverage and mean popularity percentile of the top-k lists."""
    top = np.array([i for items in ranked.values() for i in items[:k]], np.int64)
    order = np.argsort(np.argsort(counts, kind="stable"), kind="stable")
    percentile = 100.0 * order / max(len(counts) - 1, 1)
    return {f"coverage@{k}": float(np.unique(top).size / len(counts)),
            f"popularity_percentile@{k}": float(percentile[top].mean()) if top.size else 0.0}


def agent_shares(contributions: Dict[int, np.ndarray], names: List[str]) -> Dict[str, float]:
    """Each agent's share of the absolute contributions over every recommended item."""
    total = np.zeros(len(names))
    for rows in contributions.values():
        if len(rows):
            total += np.abs(rows).sum(axis=0)
    return dict(zip(names, (total / max(total.sum(), 1e-12)).tolist()))
