"""Warm start: a new model from an old one's trained weights across changed vocabularies.

Only gradient-trained weights carry over (embeddings, towers, gate, alpha): fitted state
(closed forms, statistics, histories) is refitted on the new data by the trainer anyway.
"""

from typing import Optional, Sequence

import numpy as np
import pandas as pd
import tensorflow as tf

from rec_model.agent_gate import candidate_statistics
from rec_model.config import ModelConfig
from rec_model.multi_agent_model import MultiAgentModel


class IncompatibleBaseModel(ValueError):
    """The old model cannot seed the new one (agents, dimensions or weights differ)."""


def build_weights(model: MultiAgentModel) -> MultiAgentModel:
    """Creates every lazily-built weight by scoring one item for one anonymous user."""
    users = model.users(tf.constant([-1], tf.int32),
                        request_items=tf.ragged.constant([[0]], dtype=tf.int32))
    states = model.states(users)
    ids = tf.constant([[0]], tf.int32)
    scores = model.agent_scores(states, ids)
    model.gate(scores, candidate_statistics(scores, ids >= 0), users.side)
    model.built = True  # Every weight exists now; Keras callbacks (BackupAndRestore) check this.
    return model


def incompatibility(old: ModelConfig, new: ModelConfig) -> Optional[str]:
    """Why a model trained with `old` cannot warm-start one with `new` (None = it can)."""
    for name in ("agents", "embedding_dim", "hybrid_cross_layers"):
        if getattr(old, name) != getattr(new, name):
            return f"{name} changed from {getattr(old, name)!r} to {getattr(new, name)!r}"
    return None


def _index_map(old: Sequence[str], new: Sequence[str]) -> np.ndarray:
    return pd.Index(list(old)).get_indexer(list(new))


def warm_start(old_model: MultiAgentModel, old_user_ids: Sequence[str],
               old_item_ids: Sequence[str],
               new_user_ids: Sequence[str], new_item_ids: Sequence[str], text_dim: int,
               config: Optional[ModelConfig] = None) -> MultiAgentModel:
    """A model over the new vocabularies with the old model's trained weights.

    Users and items present in both vocabularies keep their rows; new ones keep the fresh
    initialisation. Weights not indexed by user or item are copied as they are.

    Args:
        old_model: trained model.
        old_user_ids / old_item_ids: its vocabularies (position = index).
        new_user_ids / new_item_ids: the new vocabularies.
        text_dim: size of the new text embeddings.
        config: defaults to the old config; must keep agents and dimensions.

    Raises:
        IncompatibleBaseModel: agents, dimensions or weight layout differ.
    """
    config = config or old_model.config
    reason = incompatibility(old_model.config, config)
    if reason or text_dim != old_model.text_dim:
        raise IncompatibleBaseModel("warm start needs the same agents, dimensions and text size ("
                                    f"{reason or f'text_dim {old_model.text_dim} -> {text_dim}'})")
    new_model = build_weights(MultiAgentModel(config, len(new_user_ids), len(new_item_ids),
                                              text_dim))
    build_weights(old_model)
    maps = {"user": _index_map(old_user_ids, new_user_ids),
            "item": _index_map(old_item_ids, new_item_ids)}
    axes_of = {id(v): axes for agent in new_model.agents for v, axes in agent.indexed_variables()}
    # Variables created trainable (whatever stage the Keras `trainable` flags are set for).
    old_weights = [w for w in old_model.weights if w.trainable]
    new_weights = [w for w in new_model.weights if w.trainable]
    if [w.shape.rank for w in old_weights] != [w.shape.rank for w in new_weights]:
        raise IncompatibleBaseModel("old and new models have different trainable weights; "
                                    "were they built by the same code version?")
    for old_var, new_var in zip(old_weights, new_weights):
        axes = axes_of.get(id(new_var))
        if axes is None:
            if old_var.shape != new_var.shape:
                raise IncompatibleBaseModel(f"weight {new_var.name}: shape {old_var.shape} != "
                                            f"{new_var.shape}")
            new_var.assign(old_var)
            continue
        value, old_value = new_var.numpy(), old_var.numpy()
        rows = maps[axes[0]]
        keep = np.flatnonzero(rows >= 0)
        value[keep] = old_value[rows[keep]]
        new_var.assign(value)
    return new_model
