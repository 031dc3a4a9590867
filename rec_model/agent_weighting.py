"""Learned agent weights alpha of the global objective L = sum_i alpha_i L_i."""

import tensorflow as tf

from rec_model.config import ALPHA_MODES


class AgentWeighting(tf.keras.layers.Layer):
    """Combines per-agent losses with learned weights.

    "uncertainty" (Kendall, Gal & Cipolla 2018): L = sum_i exp(-s_i) L_i + s_i with a
    learned log-variance s_i; alpha_i = exp(-s_i) normalised to sum to 1 for reporting.
    "softmax": alpha = floor + (1 - n * floor) * softmax(logits), so every agent keeps at
    least `floor` of the objective; L = sum_i alpha_i L_i.

    Args:
        num_agents: number of losses.
        mode: one of ALPHA_MODES.
        floor: softmax-mode minimum weight.
    """

    def __init__(self, num_agents: int, mode: str = "uncertainty", floor: float = 0.05, **kwargs):
        super().__init__(**kwargs)
        if mode not in ALPHA_MODES:
            raise ValueError(f"mode={mode!r}: use one of {ALPHA_MODES}")
        if num_agents < 1 or not 0 <= floor * num_agents < 1:
            raise ValueError(f"need num_agents >= 1 and floor * num_agents < 1, got {num_agents}, {floor}")
        self.num_agents, self.mode, self.floor = num_agents, mode, floor
        self.logits = self.add_weight(name="alpha_logits", shape=(num_agents,), initializer="zeros")

    def alphas(self):
        """[num_agents] weights summing to 1 (the reported alpha)."""
        if self.mode == "uncertainty":
            return tf.nn.softmax(-self.logits)
        return self.floor + (1.0 - self.num_agents * self.floor) * tf.nn.softmax(self.logits)

    def call(self, losses):
        """losses [num_agents] -> scalar weighted objective."""
        if self.mode == "uncertainty":
            return tf.reduce_sum(tf.exp(-self.logits) * losses + self.logits)
        return tf.reduce_sum(self.alphas() * losses)

    def get_config(self):
        return {**super().get_config(), "num_agents": self.num_agents, "mode": self.mode, "floor": self.floor}
