import numpy as np
import pytest
import tensorflow as tf

from rec_model.tasks import CandidateSoftmax, InBatchSoftmax


def test_sampled_softmax_applies_log_q_and_masks_accidental_hits():
    positive = tf.constant([2.0, 3.0, 1.0])
    negative = tf.constant([[1.0, 0.5], [0.0, 1.0], [1.0, 1.0]])  # scores of items 7 and 9
    positives, negatives = tf.constant([7, 8, 9]), tf.constant([7, 9])
    log_q, log_q_negatives = tf.constant([-1.0, -2.0, -3.0]), tf.constant([-1.0, -3.0])
    got = float(InBatchSoftmax()(positive, negative, positives, negatives, log_q, log_q_negatives))
    rows = np.concatenate([(positive.numpy() - log_q.numpy())[:, None],
                           negative.numpy() - log_q_negatives.numpy()[None, :]], axis=1)
    rows[0, 1] = rows[2, 2] = -1e9  # row 0's negative 7 and row 2's negative 9 are its positive
    want = np.mean([-rows[i, 0] + np.log(np.exp(rows[i]).sum()) for i in range(3)])
    assert got == pytest.approx(want, rel=1e-5)


def test_candidate_softmax_spreads_labels_and_skips_users_without_positives():
    logits = tf.constant([[1.0, 2.0, 0.0], [0.5, 0.1, 0.3]])
    labels = tf.constant([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    mask = tf.constant([[True, True, False], [True, True, True]])
    got = float(CandidateSoftmax()(logits, labels, mask))
    log_p = np.array([1.0, 2.0]) - np.log(np.exp([1.0, 2.0]).sum())
    assert got == pytest.approx(-0.5 * log_p.sum(), rel=1e-5)  # masked label dropped
    assert float(CandidateSoftmax()(logits, tf.zeros_like(labels), mask)) == 0.0
