"""Warm start: a new model from an old one's weights across changed vocabularies."""

import re
from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from rec_model import features as F
from rec_model.config import ModelConfig
from rec_model.multi_agent_model import MultiAgentModel


def build_weights(model: MultiAgentModel) -> MultiAgentModel:
    """Creates every lazily-built weight by scoring one empty request."""
    model({F.USER_INDEX: tf.constant([-1], tf.int64), F.HISTORY_WEIGHTS: tf.zeros([1, model.num_items])})
    return model


def _index_map(old: Sequence[str], new: Sequence[str]) -> np.ndarray:
    position = {key: i for i, key in enumerate(old)}
    return np.array([position.get(key, -1) for key in new], np.int64)


def _strip(name: str) -> str:
    """Variable's own name (the layer path depends on where the layer was first built)."""
    return re.sub(r"_\d+(?=:|$)", "", name.split("/")[-1])


def _model_weights(model):
    """The model's weights without metric state (which depends on training history)."""
    metric_ids = {id(v) for m in model.metrics for v in m.variables}
    return [w for w in model.weights if id(w) not in metric_ids and _strip(w.name) not in ("total:0", "count:0")]


class IncompatibleBaseModel(ValueError):
    """The old model cannot seed the new one (agents, dimensions or weights differ)."""


def incompatibility(old: ModelConfig, new: ModelConfig) -> Optional[str]:
    """Why a model trained with `old` cannot warm-start a model with `new` (None = it can)."""
    for name in ("agents", "embedding_dim", "hybrid_cross_layers"):
        if getattr(old, name) != getattr(new, name):
            return f"{name} changed from {getattr(old, name)!r} to {getattr(new, name)!r}"
    return None


def warm_start(old_model: MultiAgentModel, old_user_ids: Sequence[str], old_item_ids: Sequence[str],
               new_user_ids: Sequence[str], new_item_ids: Sequence[str],
               item_text_embeddings: Optional[np.ndarray] = None,
               config: Optional[ModelConfig] = None) -> MultiAgentModel:
    """Builds a model over the new vocabularies from the old model's weights.

    Users and items present in both vocabularies keep their rows (item x item matrices
    keep their known block); new ones keep the fresh initialisation. Weights not indexed
    by user or item (towers, adapter, gate, alpha) are copied as they are.

    Args:
        old_model: trained model.
        old_user_ids / old_item_ids: its vocabularies (position = index).
        new_user_ids / new_item_ids: the new vocabularies.
        item_text_embeddings: [new items, text_dim]; default: remapped old ones (zeros for new items).
        config: defaults to the old config; must keep agents and dimensions.

    Returns:
        the new MultiAgentModel (not compiled).

    Raises:
        IncompatibleBaseModel: agents, dimensions or weight layout differ (train from scratch).
    """
    config = config or old_model.config
    reason = incompatibility(old_model.config, config)
    if reason:
        raise IncompatibleBaseModel(f"warm start needs the same agents, embedding_dim and hybrid_cross_layers ({reason}); "
                                    "train from scratch to change them")
    if len(old_user_ids) != old_model.num_users or len(old_item_ids) != old_model.num_items:
        raise ValueError("old vocabularies do not match the old model's sizes; pass the vocabularies it was trained with")
    new_model = MultiAgentModel(config, len(new_user_ids), len(new_item_ids), old_model.text_dim, item_text_embeddings)
    build_weights(old_model)
    build_weights(new_model)
    maps = {"user": _index_map(old_user_ids, new_user_ids), "item": _index_map(old_item_ids, new_item_ids)}
    axes_of = {id(v): axes for v, axes in new_model.indexed_variables()}
    old_weights, new_weights = _model_weights(old_model), _model_weights(new_model)
    if [_strip(w.name) for w in old_weights] != [_strip(w.name) for w in new_weights]:
        raise IncompatibleBaseModel("old and new models have different weights; were they built from the same code version? "
                         f"{[_strip(w.name) for w in old_weights]} vs {[_strip(w.name) for w in new_weights]}")
    for old_var, new_var in zip(old_weights, new_weights):
        axes = axes_of.get(id(new_var))
        if axes is None:
            if old_var.shape != new_var.shape:
                raise ValueError(f"weight {new_var.name}: shape {old_var.shape} != {new_var.shape}; same config needed")
            new_var.assign(old_var)
            continue
        if new_var is new_model.text_embeddings and item_text_embeddings is not None:
            continue
        old_value, value = old_var.numpy(), new_var.numpy()
        selectors_new, selectors_old = [], []
        for axis_kind in axes:
            if axis_kind is None:
                selectors_new.append(np.arange(value.shape[len(selectors_new)]))
                selectors_old.append(selectors_new[-1])
            else:
                keep = np.flatnonzero(maps[axis_kind] >= 0)
                selectors_new.append(keep)
                selectors_old.append(maps[axis_kind][keep])
        value[np.ix_(*selectors_new)] = old_value[np.ix_(*selectors_old)]
        new_var.assign(value)
    return new_model
