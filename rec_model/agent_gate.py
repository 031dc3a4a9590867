"""The gate: blends the agents' calibrated scores of a candidate set, with attribution."""

import numpy as np
import tensorflow as tf

_EPSILON = 1e-6


def candidate_statistics(scores, mask):
    """Per user and agent mean and std of the scores over the valid candidates.

    Args:
        scores: [b, C, A] agent scores; mask: [b, C] bool (valid candidates).

    Returns:
        (mean [b, 1, A], std [b, 1, A]); std is sqrt(var + eps), whose gradient stays finite
        when an agent scores every candidate alike (an empty history does that).
    """
    weight = tf.cast(mask, scores.dtype)[:, :, None]
    count = tf.maximum(tf.reduce_sum(weight, axis=1, keepdims=True), 1.0)
    mean = tf.reduce_sum(scores * weight, axis=1, keepdims=True) / count
    var = tf.reduce_sum(tf.square(scores - mean) * weight, axis=1, keepdims=True) / count
    return mean, tf.sqrt(var + _EPSILON)


class AgentGate(tf.keras.layers.Layer):
    """contribution_i = exp(log_scale_i) * weight_i(user) * z_i; score = sum of contributions.

    z_i are agent i's scores standardised over the user's retrieval candidates (so the
    agents' very different scales become comparable and a candidate's score does not depend
    on which other items a request asks about). weights [b, A] = softmax(Dense(user side
    features)): with a zero kernel a static blend (its bias), else per user. The
    contributions are the per-agent attribution of every score.

    Args:
        num_agents: number of agents mixed.
    """

    def __init__(self, num_agents: int, **kwargs):
        super().__init__(**kwargs)
        self.num_agents = num_agents
        self.mix = tf.keras.layers.Dense(num_agents, kernel_initializer="zeros")
        self.log_scale = self.add_weight(name="log_scale", shape=(num_agents,),
                                         initializer="zeros")

    def weights_for(self, side):
        """[b, s] user side features -> [b, A] agent weights."""
        return tf.nn.softmax(self.mix(side), axis=1)

    def silent_agents(self, tolerance: float = 1e-6):
        """Indices of the agents whose weight is zero for every user: a static blend (zero
        kernel) giving them a coefficient of 0, whatever they score (eager only)."""
        if not self.mix.built or np.any(self.mix.kernel.numpy() != 0):
            return []
        weights = tf.nn.softmax(self.mix.bias).numpy() * np.exp(self.log_scale.numpy())
        return [i for i, w in enumerate(weights) if w < tolerance * weights.max()]

    def call(self, scores, statistics, side):
        """scores [b, n, A]; statistics from `candidate_statistics`; side [b, s].

        Returns:
            (ensemble [b, n], contributions [b, n, A], z [b, n, A]).
        """
        mean, std = statistics
        z = (scores - mean) / std
        weights = self.weights_for(side) * tf.exp(self.log_scale)[None, :]
        contributions = z * weights[:, None, :]
        return tf.reduce_sum(contributions, axis=2), contributions, z

    def get_config(self):
        return {**super().get_config(), "num_agents": self.num_agents}
