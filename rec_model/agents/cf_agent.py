"""Collaborative filtering: matrix factorisation trained with an in-batch softmax."""

import numpy as np
import tensorflow as tf

from rec_model.agents.base import FactorAgent
from rec_model.closed_forms.cold_items import impute_rows
from rec_model.users import weight_total


class CollaborativeAgent(FactorAgent):
    """score(u, i) = p_u . q_i + b_i, learned from (user, item) pairs alone.

    Trained in the agents stage with an in-batch sampled softmax and logQ correction (Yi et
    al., RecSys 2019: TFRS's Retrieval task). A user unknown to the model is folded in as the
    weighted mean of their history items' vectors. Items without interactions take the text
    neighbours' mix of rows (`finalize`), since no gradient ever reaches them. This agent
    proposes candidates by brute-force top-n over the item table, the one catalogue-wide
    scan of a request.
    """

    gradient_trained = True
    retrieves = True

    def __init__(self, config, num_users, num_items, text_dim, **kwargs):
        super().__init__(config, num_users, num_items, text_dim, **kwargs)
        dim = config.embedding_dim
        init = tf.keras.initializers.RandomNormal(stddev=0.05, seed=config.seed)
        self.user_embeddings = self.add_weight(name="user_embeddings", shape=(num_users, dim),
                                               initializer=init)
        self.item_embeddings = self.add_weight(name="item_embeddings", shape=(num_items, dim),
                                               initializer=init)
        self.item_bias = self.add_weight(name="item_bias", shape=(num_items,),
                                         initializer="zeros")

    def indexed_variables(self):
        return [(self.user_embeddings, ("user", None)), (self.item_embeddings, ("item", None)),
                (self.item_bias, ("item",))]

    def user_vectors(self, users):
        known = users.index >= 0
        own = tf.gather(self.user_embeddings, tf.maximum(users.index, 0))

        def folded():  # only requests with unknown users pay for it; no gradient through it
            rows = tf.stop_gradient(self._vectors_of(users.items.flat_values))[:, :-1]
            rows = rows * users.weights.flat_values[:, None]
            total = tf.math.unsorted_segment_sum(rows, users.items.value_rowids(),
                                                 users.items.nrows())
            return total / weight_total(users)

        vectors = tf.cond(tf.reduce_all(known), lambda: own,
                          lambda: tf.where(known[:, None], own, folded()))
        return tf.concat([vectors, tf.ones_like(vectors[:, :1])], axis=1)

    def item_vectors(self, ids):
        return tf.concat([tf.gather(self.item_embeddings, ids),
                          tf.gather(self.item_bias, ids)[..., None]], axis=-1)

    def regularization(self, users, positives):
        rows = tf.gather(self.user_embeddings, tf.maximum(users.index, 0))
        items = tf.gather(self.item_embeddings, positives)
        return self.config.embedding_l2 * (tf.reduce_sum(tf.square(rows))
                                           + tf.reduce_sum(tf.square(items)))

    def finalize(self, ctx):
        table = np.concatenate([self.item_embeddings.numpy(), self.item_bias.numpy()[:, None]], 1)
        self.set_serving_items(impute_rows(table, ctx.mixing))
