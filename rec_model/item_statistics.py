"""Per-item statistics every agent and the ensemble may read (non-trainable variables)."""

import numpy as np
import tensorflow as tf

ITEM_SIDE_FEATURES = 2  # log popularity / 5, has interactions


class ItemStatistics(tf.keras.layers.Layer):
    """Item popularity (train interaction counts) and whether an item has interactions.

    Args:
        num_items: catalogue size.
    """

    def __init__(self, num_items: int, **kwargs):
        super().__init__(**kwargs)
        self.num_items = num_items
        self.log_popularity = tf.Variable(np.zeros(num_items, np.float32), trainable=False,
                                          name="item_log_popularity")
        self.known = tf.Variable(np.zeros(num_items, np.float32), trainable=False,
                                 name="item_known")

    def set_counts(self, counts: np.ndarray) -> None:
        counts = np.asarray(counts, np.float32)
        if counts.shape != (self.num_items,):
            raise ValueError(f"counts must be [{self.num_items}], got {counts.shape}")
        self.log_popularity.assign(np.log1p(counts))
        self.known.assign((counts > 0).astype(np.float32))

    def side(self, ids):
        """[..., ITEM_SIDE_FEATURES] features of the items `ids`."""
        return tf.stack([tf.gather(self.log_popularity, ids) / 5.0, tf.gather(self.known, ids)],
                        axis=-1)

    def get_config(self):
        return {**super().get_config(), "num_items": self.num_items}
