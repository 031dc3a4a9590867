"""Stops training at the first non-finite loss, naming the stage, epoch and agent."""

import math
from typing import Dict, Optional

import tensorflow as tf


class NonFiniteTrainingError(FloatingPointError):
    """A training loss or metric became NaN or infinite.

    Attributes:
        stage: the training stage ("pairs", "gate", "pairs_all_data", "export").
        epoch: 1-based epoch in which it happened.
        batch: 0-based batch of that epoch (None when found at the epoch's end).
        names: the non-finite log entries, e.g. ["loss_cf", "alpha_cf"].
    """

    def __init__(self, stage: str, epoch: int, batch: Optional[int], names, agent_names=None):
        self.stage, self.epoch, self.batch, self.names = stage, epoch, batch, list(names)
        known = set(agent_names or ())
        agents = sorted({n.split("_", 1)[1] for n in self.names
                         if n.startswith(("loss_", "alpha_", "score_")) and "_" in n
                         and not n.endswith("_ensemble")
                         and (not known or n.split("_", 1)[1] in known)})
        where = f"epoch {epoch}" + (f", batch {batch}" if batch is not None else "")
        super().__init__(
            f"training stage '{stage}' produced non-finite values at {where}: "
            f"{', '.join(self.names)}" + (f" (agents: {', '.join(agents)})" if agents else "")
            + "; lower ModelConfig.learning_rate or check the input data for extreme values")


def non_finite(logs: Optional[Dict]) -> list:
    """Names of the entries of a Keras `logs` dict that are NaN or infinite."""
    out = []
    for name, value in (logs or {}).items():
        try:
            if not math.isfinite(float(value)):
                out.append(name)
        except (TypeError, ValueError):
            continue
    return sorted(out)


class FiniteGuard(tf.keras.callbacks.Callback):
    """Raises `NonFiniteTrainingError` as soon as a batch's logs are not finite.

    Args:
        stage: stage name used in the error message.
    """

    def __init__(self, stage: str):
        super().__init__()
        self.stage, self.epoch = stage, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = non_finite(logs)
        if bad:
            raise NonFiniteTrainingError(self.stage, self.epoch + 1, batch, bad, self._agents())

    def on_epoch_end(self, epoch, logs=None):
        bad = non_finite(logs)
        if bad:
            raise NonFiniteTrainingError(self.stage, epoch + 1, None, bad, self._agents())

    def _agents(self):
        return getattr(getattr(self, "model", None), "agent_names", None)
