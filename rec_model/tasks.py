"""The objectives: in-batch sampled softmax over pairs, and softmax over candidate sets."""

import tensorflow as tf

_MASKED = -1e9


class InBatchSoftmax(tf.keras.layers.Layer):
    """Sampled softmax over the batch's positives with logQ correction (Yi et al. 2019).

    Row i's positive is item i; the other rows' items are its negatives, their logits
    lowered by log q_j (the probability that item j is a batch positive) so popular items
    are not over-penalised, and accidental hits (the same item as the positive) masked.
    """

    def call(self, logits, positives, log_q):
        """logits [b, b]; positives [b] item ids; log_q [b] -> scalar mean loss."""
        logits = logits - log_q[None, :]
        same = tf.equal(positives[:, None], positives[None, :])
        diagonal = tf.eye(tf.shape(logits)[0], dtype=tf.bool)
        logits = tf.where(same & ~diagonal, _MASKED, logits)
        labels = tf.range(tf.shape(logits)[0])
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))


class CandidateSoftmax(tf.keras.layers.Layer):
    """Multi-positive softmax over each user's candidate set.

    Every held-out item among the candidates is a positive (labels sum to 1 per row);
    users with none among their candidates do not count.
    """

    def call(self, logits, labels, mask):
        """logits / labels [n, C] float; mask [n, C] bool -> scalar mean loss."""
        labels = labels * tf.cast(mask, labels.dtype)
        count = tf.reduce_sum(labels, axis=1)
        logits = tf.where(mask, logits, _MASKED)
        per_user = tf.nn.softmax_cross_entropy_with_logits(labels / tf.maximum(count, 1.0)[:, None],
                                                           logits)
        weight = tf.cast(count > 0, per_user.dtype)
        return tf.reduce_sum(per_user * weight) / tf.maximum(tf.reduce_sum(weight), 1.0)
