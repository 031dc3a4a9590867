"""Tiny synthetic data with planted structure for rec_model tests.

Two communities: users 0, 2, 4, ... like items 0-11, users 1, 3, ... like items 12-23. The
text embeddings encode the community (dimension 0 or 1), so cold items borrow sensible rows.
Items in COLD_ITEMS get no interactions (they are in the catalogue only).
"""

import numpy as np
import tensorflow as tf

from rec_model.auto_settings import Validation
from rec_model.config import ModelConfig
from rec_model.interactions import Interactions
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.trainer import refit

NUM_USERS, NUM_ITEMS, TEXT_DIM = 30, 24, 8
COLD_ITEMS = (3, 15)
PER_USER = 6


def community(user: int) -> int:
    return user % 2


def make_data(seed: int = 0, ratings: bool = False, cold=COLD_ITEMS):
    """-> (Interactions with timestamps (and ratings 1-5), text [NUM_ITEMS, TEXT_DIM])."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(NUM_USERS):
        pool = [i for i in range(12) if i + 12 * community(u) not in cold]
        chosen = rng.choice(pool, size=PER_USER, replace=False) + 12 * community(u)
        users += [u] * PER_USER
        items += chosen.tolist()
    ts = rng.uniform(1.6e9, 1.7e9, size=len(users))
    rating = rng.integers(1, 6, size=len(users)).astype(float) if ratings else None
    data = Interactions(np.array(users), np.array(items), NUM_USERS, NUM_ITEMS, ts, rating)
    text = rng.normal(0, 0.1, size=(NUM_ITEMS, TEXT_DIM))
    text[:12, 0] += 1.0
    text[12:, 1] += 1.0
    return data, text.astype(np.float32)


def drifting_tastes(users=400, items=160, clusters=8, per_phase=8, drift=True, seed=0):
    """Each user moves from one cluster's items (early) to another's (late); with `drift`
    False both phases come from the user's one cluster, so the latest items say no more."""
    rng = np.random.default_rng(seed)
    per = items // clusters
    u, i = [], []
    for user in range(users):
        first = user % clusters
        second = (user * 3 + 1) % clusters if drift else first
        pool = np.concatenate([np.arange(c * per, (c + 1) * per) for c in {first, second}])
        late = (pool // per == second) if drift else rng.permutation(pool.size) < per // 2
        picks = [rng.choice(pool[~late], per_phase, replace=False),
                 rng.choice(pool[late], per_phase, replace=False)]
        u += [user] * 2 * per_phase
        i += np.concatenate(picks).tolist()
    t = np.tile(np.arange(2 * per_phase, dtype=np.float64), users)
    return Interactions(np.array(u), np.array(i), users, items, timestamp=t)


def tiny_config(**overrides) -> ModelConfig:
    base = dict(embedding_dim=8, epochs=1, gate_epochs=1, neighbours=4, spectral_rank=4,
                batch_size=16, retrieval_candidates=10, popular_candidates=5, gate_share=0.25,
                cold_neighbours=3, gate_users=100, learning_rate=0.01)
    base.update(overrides)
    return ModelConfig(**base)


def fitted_model(config=None, data=None, text=None) -> MultiAgentModel:
    """A model with every closed form, statistic and serving table fitted (no gradient
    training: embeddings keep their initialisation); cheap, for structural tests."""
    config = config or tiny_config(history_l2=5.0)
    if data is None:
        data, text = make_data()
    model = MultiAgentModel(config, data.num_users, data.num_items, text.shape[1])
    refit(model, data, text)
    return model


def held_out_validation(data, text, share: float = 0.34):
    """(model fitted on the rest of `data`, the Validation of each user's held-out `share`)."""
    rest, held = data.split_per_user(share, 0)
    return fitted_model(data=rest, text=text), Validation.from_split(rest, held, 100, 0, 0.5)


def stored_items(model, user: int) -> list:
    values, splits = model.histories.values.numpy(), model.histories.row_splits.numpy()
    return values[splits[user]:splits[user + 1]].tolist()


def ragged(rows, dtype=tf.int32):
    return tf.ragged.constant(rows, dtype=dtype, ragged_rank=1)
