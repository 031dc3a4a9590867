"""The multi-worker benchmark's byte arithmetic (no workers started)."""

import tensorflow as tf

from bench import bench_multiworker as bench


def test_gradient_bytes_counts_values_and_indices_of_slices_and_size_of_dense():
    slices = tf.IndexedSlices(tf.ones([3, 4]), tf.constant([0, 5, 5], tf.int32),
                              tf.constant([10, 4]))
    sparse, dense = bench.gradient_bytes([slices, tf.ones([2, 2]), None])
    assert int(sparse) == 3 * 4 * 4 + 3 * 4 and int(dense) == 2 * 2 * 4
    sparse, dense = bench.gradient_bytes([tf.convert_to_tensor(slices)])
    assert int(sparse) == 0 and int(dense) == 10 * 4 * 4


def test_ring_traffic_per_worker():
    assert bench.wire_bytes(100.0, 1, "dense") == 0.0
    assert bench.wire_bytes(100.0, 2, "sparse") == 50.0
    assert bench.wire_bytes(100.0, 2, "dense") == 100.0
    assert bench.wire_bytes(100.0, 4, "dense") == 150.0
