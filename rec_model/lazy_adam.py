"""Adam whose sparse updates touch only the rows of the batch (TF Addons' LazyAdam).

Keras' Adam turns a sparse gradient (the rows of an embedding table one batch used) into a
dense update: it decays the whole table's first and second moments and moves every row,
several passes over each [rows, d] table per step. With a million users that is most of a
training step. Here a sparse gradient updates the moments and values of its own rows only
(Keras has already summed repeated rows); dense gradients take Keras' Adam unchanged. Rows
not in a batch keep their moments until they next appear, the standard trade-off for large
embedding tables.
"""

import tensorflow as tf


class LazyAdam(tf.keras.optimizers.Adam):
    """`tf.keras.optimizers.Adam` with row-wise updates for `tf.IndexedSlices` gradients.

    Args:
        **kwargs: those of `tf.keras.optimizers.Adam` (`amsgrad` is not supported).
    """

    def __init__(self, **kwargs):
        if kwargs.get("amsgrad"):
            raise ValueError("LazyAdam does not support amsgrad")
        super().__init__(**kwargs)

    def update_step(self, gradient, variable):
        if not isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        alpha = (tf.cast(self.learning_rate, dtype) * tf.sqrt(1 - tf.pow(beta_2, step))
                 / (1 - tf.pow(beta_1, step)))
        key = self._index_dict[self._var_key(variable)]
        m, v = self._momentums[key], self._velocities[key]
        rows, values = gradient.indices, tf.cast(gradient.values, dtype)
        m_rows = beta_1 * tf.gather(m, rows) + (1 - beta_1) * values  # [n, d]
        v_rows = beta_2 * tf.gather(v, rows) + (1 - beta_2) * tf.square(values)
        m.scatter_update(tf.IndexedSlices(m_rows, rows))
        v.scatter_update(tf.IndexedSlices(v_rows, rows))
        variable.scatter_sub(
            tf.IndexedSlices(alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))
