"""Per-user gate over agents: the ensemble's attention layer."""

import tensorflow as tf

UNAVAILABLE_PENALTY = 100.0  # z units: far below any available item


class AgentGate(tf.keras.layers.Layer):
    """Mixes calibrated agent scores with per-user weights (a product of experts).

    Each agent's scores are z-normalised over the catalogue and turned into a
    log-distribution with a learned per-agent temperature:
    p_i = log_softmax(exp(log_temperature_i) * z_i). weights [batch, agents] =
    softmax(Dense(features)) where the features are the user's side features plus,
    per agent, the spread of its scores; contribution_i = exp(log_scale_i) * weight_i * p_i
    and the ensemble score is their sum, so the contributions are the per-agent
    attribution of every score.

    Args:
        num_agents: number of agents mixed.
        cold_boost: z-score offset of items without interactions (see `call`).
    """

    def __init__(self, num_agents: int, cold_boost: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_agents = num_agents
        self.cold_boost = self.add_weight(name="cold_boost", shape=(), trainable=False,
                                          initializer=tf.keras.initializers.Constant(cold_boost))
        self.mix = tf.keras.layers.Dense(num_agents, kernel_initializer="zeros")
        self.log_temperature = self.add_weight(name="log_temperature", shape=(num_agents,), initializer=tf.keras.initializers.Constant(1.0))
        self.log_scale = self.add_weight(name="log_scale", shape=(num_agents,), initializer="zeros")

    @staticmethod
    def normalise(scores):
        """[batch, items] -> z-scores over the items of each row."""
        mean, var = tf.nn.moments(scores, axes=[1], keepdims=True)
        return (scores - mean) * tf.math.rsqrt(var + 1e-8)

    def call(self, agent_scores, user_side, item_known=None, content_index=None, imputed=None, unavailable=None):
        """agent_scores: list of [batch, items]; user_side [batch, s].

        item_known [items] (1 = has training interactions) and content_index (position
        of the content agent in agent_scores): when both are given, every agent's z-score
        of an item without interactions is replaced by a reference z-score, so such items
        are ranked as if all agents agreed with it: agents flagged in `imputed` (a list of
        bools, one per agent) keep their scores of such items (imputed from text
        neighbours) and the reference is their mean; without imputed agents it is the
        content agent's z-score. Every agent's z-score
        of such items is then offset by `cold_boost` (z units). unavailable [batch, items]
        bool (optional): items pushed below every other item in every agent (an
        availability filter, see `MultiAgentModel.unavailable`).

        Returns:
            (ensemble [batch, items], contributions [batch, items, agents], weights [batch, agents]).
        """
        z = [self.normalise(s) for s in agent_scores]
        if item_known is not None and content_index is not None:
            known = item_known[None, :] > 0
            imputed = imputed or [False] * len(z)
            kept = [zi for i, zi in enumerate(z) if imputed[i]]
            reference = tf.add_n(kept) / len(kept) if kept else z[content_index]
            z = [tf.where(known, zi, (zi if imputed[i] else reference) + self.cold_boost) for i, zi in enumerate(z)]
        if unavailable is not None:
            z = [tf.where(unavailable, zi - UNAVAILABLE_PENALTY, zi) for zi in z]
        # sqrt(var + eps), not reduce_std: sqrt's gradient is infinite at 0, and an agent
        # scoring an empty history gives a constant row (var = 0), which turned every
        # trainable weight NaN through the gate.
        spread = [tf.sqrt(tf.math.reduce_variance(s, axis=1, keepdims=True) + 1e-8)
                  for s in agent_scores]
        features = tf.concat([user_side, tf.math.log1p(tf.concat(spread, axis=1))], axis=1)
        weights = tf.nn.softmax(self.mix(features), axis=1)
        z = tf.stack([tf.nn.log_softmax(tf.exp(self.log_temperature[i]) * zi, axis=1) for i, zi in enumerate(z)], axis=2)
        contributions = z * (tf.exp(self.log_scale)[None, :] * weights)[:, None, :]
        return tf.reduce_sum(contributions, axis=2), contributions, weights

    def get_config(self):
        return {**super().get_config(), "num_agents": self.num_agents, "cold_boost": float(self.cold_boost.numpy())}
