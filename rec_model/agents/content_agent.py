"""Content-based agent over the frozen BERT item embeddings."""

import numpy as np
import tensorflow as tf

from rec_model import candidates
from rec_model.agents.base import FactorAgent, read_whole, search_top_n
from rec_model.users import weight_total, weighted_sum

_PROFILE_DIM = 64  # the user side reads the history's text through this PCA basis
_SERVING_BLOCK = 8192  # items per adapter call when building the serving table


class ContentAgent(FactorAgent):
    """Items are represented by their text alone, so items without interactions rank.

    item vector [d + 1] = adapter(text embedding) (two Dense layers, the last unit a
    bias); user vector = Dense over the weighted mean of the history's text embeddings,
    projected on their top principal directions (cheap to gather per request), plus the
    user's side features. A user unknown to the model is represented by the request
    history like anyone else. As retrieval it proposes the best items without
    interactions (cold items), which no collaborative agent can find.
    """

    gradient_trained = True

    def __init__(self, config, num_users, num_items, text_dim, **kwargs):
        super().__init__(config, num_users, num_items, text_dim, **kwargs)
        dim = config.embedding_dim
        glorot = tf.keras.initializers.GlorotUniform(seed=config.seed)
        self.text = tf.Variable(np.zeros((num_items, text_dim), np.float32), trainable=False,
                                name="text_embeddings")
        self.profile_text = tf.Variable(np.zeros((num_items, min(_PROFILE_DIM, text_dim)),
                                                 np.float32), trainable=False, name="profile_text")
        self.adapter_hidden = tf.keras.layers.Dense(2 * dim, activation="gelu",
                                                    kernel_initializer=glorot)
        self.adapter_out = tf.keras.layers.Dense(dim + 1, kernel_initializer=glorot)
        self.user_tower = tf.keras.layers.Dense(dim, kernel_initializer=glorot)
        self.cold_ids = tf.Variable(np.zeros(1, np.int32), trainable=False,
                                    shape=tf.TensorShape([None]), name="cold_ids")
        # The serving rows of the cold items, kept apart so a request scans them without
        # gathering [cold, d] from the table (100 MB per request at 400,000 cold items).
        self.cold_vectors = tf.Variable(np.zeros((1, dim + 1), np.float32), trainable=False,
                                        shape=tf.TensorShape([None, dim + 1]),
                                        name="cold_vectors")
        self.num_cold = 0

    def indexed_variables(self):
        return [(self.text, ("item", None)), (self.profile_text, ("item", None))]

    def set_text(self, text: np.ndarray) -> None:
        """[items, text_dim] embeddings; also fits the user side's PCA basis."""
        text = np.asarray(text, np.float32)
        self.text.assign(text)
        width = self.profile_text.shape[1]
        sample = text[np.linalg.norm(text, axis=1) > 0][:20000].astype(np.float64)
        basis = np.zeros((text.shape[1], width))
        if sample.shape[0] > 1:
            _, _, vt = np.linalg.svd(sample - sample.mean(axis=0), full_matrices=False)
            basis[:, :min(vt.shape[0], width)] = vt[:width].T
        self.profile_text.assign((text @ basis).astype(np.float32))

    def fit(self, ctx):
        self.set_text(ctx.text)
        return {}

    def user_vectors(self, users):
        profile = weighted_sum(self.profile_text, users) / weight_total(users)
        vectors = self.user_tower(tf.concat([profile, users.side], axis=1))
        return tf.concat([vectors, tf.ones_like(vectors[:, :1])], axis=1)

    def item_vectors(self, ids):
        return self.adapter_out(self.adapter_hidden(tf.gather(self.text, ids)))

    def finalize(self, ctx):
        table = np.concatenate([self.item_vectors(tf.range(s, min(s + _SERVING_BLOCK,
                                                                   self.num_items))).numpy()
                                for s in range(0, self.num_items, _SERVING_BLOCK)])
        self.set_serving_items(table)
        has_text = np.linalg.norm(ctx.text, axis=1) > 0
        self.set_cold(np.flatnonzero(~ctx.known & has_text))

    def imputation_scale(self, neighbours, weights):
        return None  # an item's text is its whole representation, cold or not

    def set_cold(self, cold_ids: np.ndarray) -> None:
        """The items `retrieve` proposes: ascending ids [c], their rows of the serving table."""
        cold_ids = np.asarray(cold_ids, np.int32)
        self.cold_ids.assign(cold_ids)
        self.cold_vectors.assign(self.serving_items.numpy()[cold_ids])
        self.num_cold = int(cold_ids.size)

    def restored(self) -> None:
        if self.frozen:  # serving tables exist
            self.set_cold(self.cold_ids.numpy())

    def retrieve(self, state, n, exclude):
        found = []
        if self.num_cold and self.frozen:
            cold_ids = read_whole(self.cold_ids)
            top = search_top_n(state, read_whole(self.cold_vectors), self.num_cold, n,
                               *_excluded_cold(cold_ids, exclude))
            found.append(tf.where(top >= 0, tf.gather(cold_ids, tf.maximum(top, 0)),
                                  candidates.PAD))
        return tf.concat(found, axis=1) if found else None


def _excluded_cold(cold_ids, exclude):
    """([m] row, [m] position in `cold_ids`) int32 of the excluded ids that are cold items.

    A binary search of each excluded id in `cold_ids` (ascending: `finalize` takes them from
    np.flatnonzero), so the work grows with the exclusions, not with rows x cold items.

    Args:
        cold_ids: [c] int32 ascending, c >= 1.
        exclude: [b, (m)] item ids.
    """
    ids = tf.cast(exclude.flat_values, tf.int32)
    rows = tf.cast(exclude.value_rowids(), tf.int32)
    position = tf.minimum(tf.searchsorted(cold_ids, ids, out_type=tf.int32),
                          tf.size(cold_ids) - 1)
    hit = tf.equal(tf.gather(cold_ids, position), ids)
    return tf.boolean_mask(rows, hit), tf.boolean_mask(position, hit)
