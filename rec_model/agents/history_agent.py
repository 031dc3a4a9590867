"""History-based agent: a learned item-item model (EASE/EDLAE-initialised, SLIM-like)."""

import numpy as np
import tensorflow as tf

from rec_model import closed_form


class HistoryAgent(tf.keras.layers.Layer):
    """User = the items they interacted with; scores [batch, items] = history @ W.

    W = (base + delta) with a zero diagonal. `base` is the closed-form EDLAE solution
    (Steck 2020; EASE, Steck 2019, at dropout 0) on the (rating-weighted) training
    interactions, with the columns of items without interactions imputed from their
    text neighbours (non-trainable, re-set by `set_base`); `delta` is trained by gradient
    under L2, scaled by `delta_scale` (a per-variable learning-rate factor: the closed
    form is already a strong optimum). A user unseen at training time is scored from
    the history passed at request time.

    Args:
        num_items: catalogue size.
        delta_l2: L2 weight on delta.
        delta_scale: W = base + delta_scale * delta (0 freezes the agent at its base).
    """

    def __init__(self, num_items: int, delta_l2: float = 0.0, delta_scale: float = 0.01, **kwargs):
        super().__init__(**kwargs)
        self.num_items, self.delta_l2, self.delta_scale = num_items, delta_l2, delta_scale
        self.base = self.add_weight(name="base", shape=(num_items, num_items), initializer="zeros", trainable=False)
        # delta_scale == 0: the agent stays at its closed form and skips [items, items] updates.
        self.delta = self.add_weight(name="delta", shape=(num_items, num_items), initializer="zeros", trainable=delta_scale > 0)

    def indexed_variables(self):
        return [(self.base, ("item", "item")), (self.delta, ("item", "item"))]

    @staticmethod
    def closed_form(history: np.ndarray, l2: float, dropout: float = 0.0) -> np.ndarray:
        """EASE / EDLAE: B = I - P diagMat(1 / diag(P)), P = (X^T X + Lambda)^-1, diag(B) = 0,
        Lambda = diagMat(dropout / (1 - dropout) * diag(X^T X)) + l2 I (see `rec_model.closed_form`).

        Args:
            history: [users, items] 0/1 (or rating-weighted) matrix.
            l2: ridge weight (> 0).
            dropout: EDLAE dropout probability in [0, 1); 0 = EASE.

        Returns:
            [items, items] float32.
        """
        return closed_form.item_item(history, l2, dropout)

    def set_base(self, base: np.ndarray):
        self.base.assign(np.asarray(base, np.float32))

    def weights_matrix(self):
        """[items, items] with a zero diagonal."""
        w = self.base + self.delta_scale * self.delta
        return tf.linalg.set_diag(w, tf.zeros([self.num_items], w.dtype))

    def query(self, history):
        """[batch, items] -> [batch, items] (the history itself)."""
        return history

    def item_table(self):
        """[items, items]: row j = W[:, j], so query @ table^T = history @ W."""
        return tf.transpose(self.weights_matrix())

    def scores(self, history):
        return tf.matmul(history, self.weights_matrix())

    def regularization(self):
        return self.delta_l2 * tf.reduce_sum(tf.square(self.delta))

    def get_config(self):
        return {**super().get_config(), "num_items": self.num_items, "delta_l2": self.delta_l2,
                "delta_scale": self.delta_scale}
