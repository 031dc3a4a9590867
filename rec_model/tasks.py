"""The objectives: in-batch sampled softmax over pairs, and softmax over candidate sets."""

import tensorflow as tf

_MASKED = -1e9


class InBatchSoftmax(tf.keras.layers.Layer):
    """Sampled softmax with logQ correction (Yi et al., RecSys 2019) over shared negatives.

    Row i's positive competes with `negatives`, items drawn from the batch's positives (so
    in proportion to their frequency q_j): every logit is lowered by log q_j so popular
    items are not over-penalised, and a negative equal to the row's positive (an accidental
    hit) is masked.
    """

    def call(self, positive_logits, negative_logits, positives, negatives, log_q_positive,
             log_q_negatives):
        """positive_logits [b]; negative_logits [b, n]; positives [b] / negatives [n] item
        ids; log_q_* their log sampling probabilities -> scalar mean loss."""
        negative_logits = negative_logits - log_q_negatives[None, :]
        hit = tf.equal(positives[:, None], negatives[None, :])
        negative_logits = tf.where(hit, _MASKED, negative_logits)
        logits = tf.concat([(positive_logits - log_q_positive)[:, None], negative_logits], axis=1)
        labels = tf.zeros(tf.shape(logits)[:1], tf.int32)
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
        per_user = tf.nn.softmax_cross_entropy_with_logits(
            labels / tf.maximum(count, 1.0)[:, None], logits)
        weight = tf.cast(count > 0, per_user.dtype)
        return tf.reduce_sum(per_user * weight) / tf.maximum(tf.reduce_sum(weight), 1.0)
