"""Learned agent weights alpha of the global objective L = sum_i alpha_i L_i."""

import tensorflow as tf


class AgentWeighting(tf.keras.layers.Layer):
    """Homoscedastic-uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018).

    L = sum_i exp(-s_i) L_i + s_i with a learned log-variance s_i per agent: an agent whose
    loss stays high gets a smaller weight, and no weight collapses to zero (the + s_i term).
    alpha_i = softmax(-s)_i is the reported weight. Stages that train only some agents pass
    `active`, and the others' s_i stay as they are.

    Args:
        num_agents: number of agents.
    """

    def __init__(self, num_agents: int, **kwargs):
        super().__init__(**kwargs)
        if num_agents < 1:
            raise ValueError(f"num_agents={num_agents} must be >= 1")
        self.num_agents = num_agents
        self.log_variance = self.add_weight(name="log_variance", shape=(num_agents,),
                                            initializer="zeros")

    def alphas(self):
        """[num_agents] weights summing to 1."""
        return tf.nn.softmax(-self.log_variance)

    def call(self, losses, active=None):
        """losses [num_agents] (entries of inactive agents are ignored) -> scalar objective.

        Args:
            losses: [num_agents] float.
            active: optional [num_agents] bool.
        """
        terms = tf.exp(-self.log_variance) * losses + self.log_variance
        if active is not None:
            terms = tf.where(active, terms, 0.0)
        return tf.reduce_sum(terms)

    def get_config(self):
        return {**super().get_config(), "num_agents": self.num_agents}
