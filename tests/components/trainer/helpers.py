"""Small synthetic inputs for trainer tests (random L2-normalised embeddings, no BERT)."""

import csv
import os

import numpy as np

from rec_model.config import ModelConfig
from rec_model.data.synth import generate_synthetic
from rec_model.item_embeddings import save_item_embeddings

COLD_ITEMS = ("cold-a", "cold-b")


def tiny_model_config(**overrides) -> ModelConfig:
    base = dict(embedding_dim=8, epochs=1, batch_size=16, gate_epochs=1, learning_rate=0.01,
                history_l2=5.0, neighbours=4, spectral_rank=4, retrieval_candidates=20,
                popular_candidates=5, gate_share=0.25, gate_users=100, cold_neighbours=3)
    base.update(overrides)
    return ModelConfig(**base)


def write_embeddings(out_dir: str, item_ids, dim: int = 16, seed: int = 0,
                     extra=COLD_ITEMS) -> list:
    """Random unit vectors for `item_ids` plus `extra` cold items; returns the catalogue."""
    ids = list(item_ids) + [i for i in extra if i not in set(item_ids)]
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(ids), dim))
    save_item_embeddings(out_dir, ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    return ids


def synthetic_folder(root: str, n_users: int = 40, n_items: int = 30, n_interactions: int = 800,
                     seed: int = 0):
    """-> (canonical data dir, embeddings dir) with COLD_ITEMS in the catalogue only."""
    data = os.path.join(root, "data")
    generate_synthetic(data, n_users, n_items, n_interactions, n_topics=5, seed=seed)
    with open(os.path.join(data, "items.csv"), encoding="utf-8") as f:
        items = [row["item_id"] for row in csv.DictReader(f)]
    emb = os.path.join(root, "emb")
    write_embeddings(emb, items)
    return data, emb
