import numpy as np
import pytest
import tensorflow as tf

from rec_model.tasks import CandidateSoftmax, InBatchSoftmax


def test_in_batch_softmax_applies_log_q_and_masks_accidental_hits():
    logits = tf.constant([[2.0, 1.0, 0.5], [0.0, 3.0, 1.0], [1.0, 1.0, 1.0]])
    positives = tf.constant([7, 8, 7])  # rows 0 and 2 share their positive
    log_q = tf.constant([-1.0, -2.0, -1.0])
    got = float(InBatchSoftmax()(logits, positives, log_q))
    adjusted = logits.numpy() - log_q.numpy()[None, :]
    adjusted[0, 2] = adjusted[2, 0] = -1e9
    want = np.mean([-adjusted[i, i] + np.log(np.exp(adjusted[i]).sum()) for i in range(3)])
    assert got == pytest.approx(want, rel=1e-5)


def test_candidate_softmax_spreads_labels_and_skips_users_without_positives():
    logits = tf.constant([[1.0, 2.0, 0.0], [0.5, 0.1, 0.3]])
    labels = tf.constant([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    mask = tf.constant([[True, True, False], [True, True, True]])
    got = float(CandidateSoftmax()(logits, labels, mask))
    log_p = np.array([1.0, 2.0]) - np.log(np.exp([1.0, 2.0]).sum())
    assert got == pytest.approx(-0.5 * log_p.sum(), rel=1e-5)  # masked label dropped
    assert float(CandidateSoftmax()(logits, tf.zeros_like(labels), mask)) == 0.0
