"""Spectral agent: collaborative filtering as a low-pass filter on the item graph (GF-CF)."""

import numpy as np
import tensorflow as tf


class SpectralAgent(tf.keras.layers.Layer):
    """User = their history, smoothed by the ideal low-pass graph filter of GF-CF.

    Scores [batch, items] = history @ F, F = D_i^-1/2 V V^T D_i^1/2 (non-trainable, set by
    `set_filter` from `rec_model.closed_form.spectral_filter`): the history projected on the
    top singular directions of the degree-normalised interaction matrix (Shen et al., "How
    Powerful is Graph Convolution for Recommendation?", CIKM 2021). Where the history and CF
    agents see neighbourhoods, this agent sees the catalogue's few global taste axes; like
    the history agent it scores a user unseen at training time from the history passed at
    request time, and the columns of items without interactions are imputed from text.

    Args:
        num_items: catalogue size.
        rank: singular directions kept (documentation of the filter; it is computed outside).
    """

    def __init__(self, num_items: int, rank: int = 64, **kwargs):
        super().__init__(**kwargs)
        if num_items < 1 or rank < 1:
            raise ValueError(f"SpectralAgent needs num_items >= 1 and rank >= 1, got {num_items}, {rank}")
        self.num_items, self.rank = num_items, rank
        self.filter = self.add_weight(name="filter", shape=(num_items, num_items), initializer="zeros", trainable=False)

    def indexed_variables(self):
        return [(self.filter, ("item", "item"))]

    def set_filter(self, matrix: np.ndarray):
        """matrix [items, items] float32 (`closed_form.spectral_filter`, cold columns imputed)."""
        self.filter.assign(np.asarray(matrix, np.float32))

    def weights_matrix(self):
        """[items, items]: scores = history @ this."""
        return self.filter

    def scores(self, history):
        """[batch, items] history weights -> [batch, items]."""
        return tf.matmul(history, self.filter)

    def get_config(self):
        return {**super().get_config(), "num_items": self.num_items, "rank": self.rank}
