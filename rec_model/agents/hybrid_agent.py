"""Hybrid agent: DCN cross towers over the other agents' representations + side features."""

import tensorflow as tf
import tensorflow_recommenders as tfrs


class HybridAgent(tf.keras.layers.Layer):
    """Two towers, each `cross_layers` x tfrs.layers.dcn.Cross then Dense(dim).

    User tower input: [own user embedding, CF user vector, content user vector,
    user side features]; item tower input: [own item embedding, CF item vector,
    content item vector, item side features]. The exchanged representations enter
    under stop-gradient (the hybrid reads the other agents, it does not pull their
    tables towards its own loss); absent ones (agent disabled) are left out, so the
    agent also runs alone.

    Args:
        num_users / num_items: vocabulary sizes.
        dim: embedding and output size.
        cross_layers: number of Cross layers per tower.
        seed: initialiser seed.
    """

    def __init__(self, num_users: int, num_items: int, dim: int, cross_layers: int = 2, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_users, self.num_items, self.dim, self.cross_layers, self.seed = num_users, num_items, dim, cross_layers, seed
        init = tf.keras.initializers.RandomNormal(stddev=0.05, seed=seed + 1)
        self.user_embeddings = self.add_weight(name="user_embeddings", shape=(num_users, dim), initializer=init)
        self.item_embeddings = self.add_weight(name="item_embeddings", shape=(num_items, dim), initializer=init)
        glorot = tf.keras.initializers.GlorotUniform(seed=seed + 2)
        self.user_cross = [tfrs.layers.dcn.Cross(kernel_initializer=glorot) for _ in range(cross_layers)]
        self.item_cross = [tfrs.layers.dcn.Cross(kernel_initializer=glorot) for _ in range(cross_layers)]
        self.user_out = tf.keras.layers.Dense(dim, kernel_initializer=glorot)
        self.item_out = tf.keras.layers.Dense(dim, kernel_initializer=glorot)

    def indexed_variables(self):
        return [(self.user_embeddings, ("user", None)), (self.item_embeddings, ("item", None))]

    @staticmethod
    def _tower(x, crosses, out):
        x0 = x
        for cross in crosses:
            x = cross(x0, x)
        return out(x)

    def query(self, user_index, shared, side):
        """user_index [batch]; shared: list of [batch, d_k]; side [batch, s] -> [batch, dim]."""
        known = user_index >= 0
        own = tf.gather(self.user_embeddings, tf.where(known, user_index, tf.zeros_like(user_index)))
        own = own * tf.cast(known, own.dtype)[:, None]
        return self._tower(tf.concat([own, *[tf.stop_gradient(x) for x in shared], side], axis=1), self.user_cross, self.user_out)

    def item_table(self, shared, side):
        """shared: list of [items, d_k]; side [items, s] -> [items, dim]."""
        return self._tower(tf.concat([self.item_embeddings, *[tf.stop_gradient(x) for x in shared], side], axis=1), self.item_cross, self.item_out)

    def get_config(self):
        return {**super().get_config(), "num_users": self.num_users, "num_items": self.num_items, "dim": self.dim,
                "cross_layers": self.cross_layers, "seed": self.seed}
