"""Hybrid agent: DCN cross towers over the other agents' representations and side features."""

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from rec_model.agents.base import FactorAgent
from rec_model.closed_forms.cold_items import impute_rows

_SERVING_BLOCK = 8192


class HybridAgent(FactorAgent):
    """Two towers, each `hybrid_cross_layers` x tfrs.layers.dcn.Cross then Dense(dim).

    User tower input: [own user embedding, every factor peer's user vector, user side
    features]; item tower input: [own item embedding, every factor peer's item vector, item
    side features]. Its peers are the other gradient-trained factor agents registered before
    it (whichever are enabled), read under stop-gradient: the hybrid learns from the others'
    representations without pulling them towards its own loss.
    """

    gradient_trained = True

    def __init__(self, config, num_users, num_items, text_dim, **kwargs):
        super().__init__(config, num_users, num_items, text_dim, **kwargs)
        dim = config.embedding_dim
        init = tf.keras.initializers.RandomNormal(stddev=0.05, seed=config.seed + 1)
        self.user_embeddings = self.add_weight(name="user_embeddings", shape=(num_users, dim),
                                               initializer=init)
        self.item_embeddings = self.add_weight(name="item_embeddings", shape=(num_items, dim),
                                               initializer=init)
        glorot = tf.keras.initializers.GlorotUniform(seed=config.seed + 2)
        layers = config.hybrid_cross_layers
        self.user_cross = [tfrs.layers.dcn.Cross(kernel_initializer=glorot) for _ in range(layers)]
        self.item_cross = [tfrs.layers.dcn.Cross(kernel_initializer=glorot) for _ in range(layers)]
        self.user_out = tf.keras.layers.Dense(dim, kernel_initializer=glorot)
        self.item_out = tf.keras.layers.Dense(dim, kernel_initializer=glorot)

    def connect(self, peers, item_stats):
        super().connect(peers, item_stats)
        self.peers = [p for p in peers if isinstance(p, FactorAgent) and p.gradient_trained]

    def indexed_variables(self):
        return [(self.user_embeddings, ("user", None)), (self.item_embeddings, ("item", None))]

    @staticmethod
    def _tower(x, crosses, out):
        x0 = x
        for cross in crosses:
            x = cross(x0, x)
        return out(x)

    def user_state(self, users, peer_states):
        known = users.index >= 0
        own = tf.gather(self.user_embeddings, tf.maximum(users.index, 0))
        own = own * tf.cast(known, own.dtype)[:, None]
        shared = [tf.stop_gradient(peer_states[p.name]) for p in self.peers]
        return self._tower(tf.concat([own, *shared, users.side], axis=1), self.user_cross,
                           self.user_out)

    def user_vectors(self, users):
        raise NotImplementedError("the hybrid agent's user vector needs its peers' states")

    def item_vectors(self, ids):
        shared = [tf.stop_gradient(p._vectors_of(ids)) for p in self.peers]
        x = tf.concat([tf.gather(self.item_embeddings, ids), *shared, self.item_stats.side(ids)],
                      axis=-1)
        return self._tower(x, self.item_cross, self.item_out)

    def regularization(self, users, positives):
        rows = tf.gather(self.user_embeddings, tf.maximum(users.index, 0))
        items = tf.gather(self.item_embeddings, positives)
        return self.config.embedding_l2 * (tf.reduce_sum(tf.square(rows))
                                           + tf.reduce_sum(tf.square(items)))

    def finalize(self, ctx):
        table = np.concatenate([self.item_vectors(tf.range(s, min(s + _SERVING_BLOCK,
                                                                   self.num_items))).numpy()
                                for s in range(0, self.num_items, _SERVING_BLOCK)])
        self.set_serving_items(impute_rows(table, ctx.mixing))
