"""Small synthetic data with planted structure for rec_model tests."""

import numpy as np

from rec_model.config import ModelConfig
from rec_model.training_data import TrainingData

NUM_USERS, NUM_ITEMS, TEXT_DIM = 50, 40, 16


def make_data(seed: int = 0):
    """Two communities: users 0-24 like items 0-19, users 25-49 like items 20-39.

    Returns:
        (TrainingData, text embeddings [40, 16] whose direction encodes the community).
    """
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(NUM_USERS):
        group = 0 if u < NUM_USERS // 2 else 1
        pool = np.arange(20) + 20 * group
        chosen = rng.choice(pool, size=8, replace=False)
        users += [u] * len(chosen)
        items += chosen.tolist()
    ts = rng.uniform(8.8e8, 8.9e8, size=len(users))
    text = rng.normal(0, 0.1, size=(NUM_ITEMS, TEXT_DIM))
    text[:20, 0] += 1.0
    text[20:, 1] += 1.0
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    return TrainingData(np.array(users), np.array(items), NUM_USERS, NUM_ITEMS, ts), text.astype(np.float32)


def small_config(**overrides) -> ModelConfig:
    base = dict(embedding_dim=8, epochs=3, batch_size=16, gate_epochs=2, learning_rate=0.01, history_l2=5.0, gate_share=0.25)
    base.update(overrides)
    return ModelConfig(**base)
