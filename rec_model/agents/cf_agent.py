"""Collaborative-filtering agent: matrix factorisation plus closed-form user-user scores."""

import tensorflow as tf


class CollaborativeAgent(tf.keras.layers.Layer):
    """MF with an item bias, plus optional fixed user-user scores; unknown users get a
    zero query and zero user-user scores (the model falls back).

    Scores: [batch, items] = [user_emb, 1] @ [item_emb, item_bias]^T (+ user_base[user]),
    where `user_base` [users, items] is the closed-form user-user model of
    `rec_model.closed_form.user_user` (non-trainable, set by `set_user_base`): the MF part
    then learns the residual of a neighbourhood model.

    Args:
        num_users / num_items: vocabulary sizes (indices 0..n-1; -1 = unknown).
        dim: embedding size.
        l2: L2 weight on the embeddings used in a batch.
        seed: initialiser seed.
        user_scores: keep a [users, items] user-user score table (memory users x items).
    """

    def __init__(self, num_users: int, num_items: int, dim: int, l2: float = 0.0, seed: int = 0,
                 user_scores: bool = False, **kwargs):
        super().__init__(**kwargs)
        if num_users < 1 or num_items < 1 or dim < 1:
            raise ValueError(f"CollaborativeAgent needs positive sizes, got users={num_users} items={num_items} dim={dim}")
        self.num_users, self.num_items, self.dim, self.l2, self.seed = num_users, num_items, dim, l2, seed
        self.user_scores = bool(user_scores)
        init = tf.keras.initializers.RandomNormal(stddev=0.05, seed=seed)
        self.user_embeddings = self.add_weight(name="user_embeddings", shape=(num_users, dim), initializer=init)
        self.item_embeddings = self.add_weight(name="item_embeddings", shape=(num_items, dim), initializer=init)
        self.item_bias = self.add_weight(name="item_bias", shape=(num_items, 1), initializer="zeros")
        self.user_base = (self.add_weight(name="user_base", shape=(num_users, num_items), initializer="zeros",
                                          trainable=False) if self.user_scores else None)

    # Rows indexed by user / item, for warm start vocabulary remapping.
    def indexed_variables(self):
        out = [(self.user_embeddings, ("user", None)), (self.item_embeddings, ("item", None)), (self.item_bias, ("item", None))]
        return out + ([(self.user_base, ("user", "item"))] if self.user_base is not None else [])

    def set_user_base(self, scores):
        """scores [users, items] float32 user-user scores of the training users."""
        if self.user_base is None:
            raise ValueError("this CF agent was built without user_scores; set ModelConfig.user_l2 > 0")
        self.user_base.assign(tf.convert_to_tensor(scores, tf.float32))

    def base_scores(self, user_index):
        """[batch] int (-1 unknown) -> [batch, items] user-user scores (zeros without them)."""
        if self.user_base is None:
            return None
        known = user_index >= 0
        rows = tf.gather(self.user_base, tf.where(known, user_index, tf.zeros_like(user_index)))
        return rows * tf.cast(known, rows.dtype)[:, None]

    def user_vectors(self, user_index):
        """[batch] int (-1 unknown) -> [batch, dim], zeros for unknown users."""
        known = user_index >= 0
        rows = tf.gather(self.user_embeddings, tf.where(known, user_index, tf.zeros_like(user_index)))
        return rows * tf.cast(known, rows.dtype)[:, None]

    def query(self, user_index):
        """[batch] -> [batch, dim + 1]."""
        vectors = self.user_vectors(user_index)
        return tf.concat([vectors, tf.ones_like(vectors[:, :1])], axis=1)

    def item_table(self, cold_vectors=None, cold_bias=None, item_known=None):
        """[items, dim + 1]; items with item_known == 0 take `cold_vectors`/`cold_bias`
        (the content agent's prediction of their CF embedding) when given."""
        vectors, bias = self.item_embeddings, self.item_bias
        if cold_vectors is not None:
            known = item_known[:, None] > 0
            vectors = tf.where(known, vectors, cold_vectors)
            bias = tf.where(known, bias, cold_bias)
        return tf.concat([vectors, bias], axis=1)

    def regularization(self, user_index):
        """Scalar L2 of the batch's user rows plus the item table (per item)."""
        users = self.user_vectors(user_index)
        return self.l2 * (
            tf.reduce_mean(tf.reduce_sum(tf.square(users), 1)) + tf.reduce_mean(tf.reduce_sum(tf.square(self.item_embeddings), 1))
        )

    def get_config(self):
        return {**super().get_config(), "num_users": self.num_users, "num_items": self.num_items,
                "dim": self.dim, "l2": self.l2, "seed": self.seed, "user_scores": self.user_scores}
