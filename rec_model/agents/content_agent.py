"""Content-based agent over frozen BERT item embeddings with a trainable adapter."""

import tensorflow as tf


class ContentAgent(tf.keras.layers.Layer):
    """Items are represented by their text alone, so items without interactions rank.

    item vectors [items, dim] = adapter(text_embeddings) (two Dense layers), plus a
    text-predicted bias; the user query is a Dense layer over the mean adapted vector
    of the history, so a user unseen at training time is represented too. The adapter
    is aligned to the CF agent's item embeddings (see `alignment_loss`), which lets the
    CF agent borrow a cold item's predicted embedding.

    Args:
        dim: output size (equal to the CF agent's so the two spaces align).
        hidden: adapter hidden width.
        seed: initialiser seed.
    """

    def __init__(self, dim: int, hidden: int = 256, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.hidden, self.seed = dim, hidden, seed
        glorot = tf.keras.initializers.GlorotUniform(seed=seed)
        self.adapter_hidden = tf.keras.layers.Dense(hidden, activation="gelu", kernel_initializer=glorot)
        self.adapter_out = tf.keras.layers.Dense(dim + 1, kernel_initializer=glorot)
        self.user_tower = tf.keras.layers.Dense(dim, kernel_initializer=glorot)

    def item_vectors(self, text_embeddings):
        """[items, text_dim] -> ([items, dim] vectors, [items, 1] bias)."""
        out = self.adapter_out(self.adapter_hidden(text_embeddings))
        return out[:, : self.dim], out[:, self.dim:]

    def query(self, history, item_vectors):
        """history [batch, items] weights, item_vectors [items, dim] -> [batch, dim + 1]."""
        counts = tf.reduce_sum(history, axis=1, keepdims=True)
        profile = tf.matmul(history, item_vectors) / tf.maximum(counts, 1.0)
        user = self.user_tower(profile)
        return tf.concat([user, tf.ones_like(user[:, :1])], axis=1)

    @staticmethod
    def item_table(item_vectors, item_bias):
        return tf.concat([item_vectors, item_bias], axis=1)

    @staticmethod
    def alignment_loss(item_vectors, item_bias, cf_vectors, cf_bias, item_known):
        """Mean squared distance to the (stop-gradient) CF item embeddings over known items."""
        target = tf.stop_gradient(tf.concat([cf_vectors, cf_bias], 1))
        sq = tf.reduce_sum(tf.square(tf.concat([item_vectors, item_bias], 1) - target), axis=1)
        return tf.reduce_sum(sq * item_known) / tf.maximum(tf.reduce_sum(item_known), 1.0)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "hidden": self.hidden, "seed": self.seed}
