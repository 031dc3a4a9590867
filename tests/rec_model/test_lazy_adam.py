import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from rec_model.lazy_adam import LazyAdam


def _train(optimizer, table, batches):
    """Steps of a sum-of-gathered-rows loss; -> the table after them."""
    variable = tf.Variable(table)
    for rows, weights in batches:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(variable, rows) * weights)
        gradient = tape.gradient(loss, variable)
        assert isinstance(gradient, tf.IndexedSlices)
        optimizer.apply_gradients([(gradient, variable)])
    return variable.numpy()


def _batches(rows_per_step, steps=5, dim=3, seed=0):
    rng = np.random.default_rng(seed)
    return [(tf.constant(rows), tf.constant(rng.normal(size=(len(rows), dim)), tf.float32))
            for rows in rows_per_step * steps]


def test_rows_every_batch_touches_move_as_with_adam():
    table = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    batches = _batches([[0, 1, 2, 3, 1]])  # every row, one twice (Keras sums repeats)
    np.testing.assert_allclose(_train(LazyAdam(learning_rate=0.1), table, batches),
                               _train(tf.keras.optimizers.Adam(0.1), table, batches),
                               rtol=1e-5, atol=1e-5)


def test_rows_no_batch_touches_stay_put_and_the_others_match_their_own_adam():
    table = np.random.default_rng(2).normal(size=(6, 3)).astype(np.float32)
    batches = _batches([[1, 4]])
    lazy = _train(LazyAdam(learning_rate=0.1), table, batches)
    np.testing.assert_array_equal(lazy[[0, 2, 3, 5]], table[[0, 2, 3, 5]])
    adam = _train(tf.keras.optimizers.Adam(0.1), table, batches)
    np.testing.assert_allclose(lazy[[1, 4]], adam[[1, 4]], rtol=1e-5, atol=1e-6)


def test_each_step_moves_only_its_batch_rows_though_others_carry_momentum():
    table = np.random.default_rng(4).normal(size=(6, 3)).astype(np.float32)
    moved = {}
    for name, optimizer in (("lazy", LazyAdam(learning_rate=0.1)),
                            ("adam", tf.keras.optimizers.Adam(0.1))):
        variable, moved[name] = tf.Variable(table), []
        for rows in ([1, 4], [0, 2], [1, 4], [0, 2]):
            before = variable.numpy()
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.gather(variable, rows))
            optimizer.apply_gradients([(tape.gradient(loss, variable), variable)])
            changed = np.any(variable.numpy() != before, axis=1)
            moved[name].append(sorted(np.flatnonzero(changed).tolist()))
    assert moved["lazy"] == [[1, 4], [0, 2], [1, 4], [0, 2]]
    assert moved["adam"][1] == [0, 1, 2, 4]  # Adam's momentum moves rows 1 and 4 too


def test_the_first_batch_touches_only_its_rows_where_adam_moves_stale_ones_later():
    table = np.zeros((3, 2), np.float32)
    batches = [(tf.constant([0]), tf.ones([1, 2])), (tf.constant([1]), tf.ones([1, 2]))]
    lazy = _train(LazyAdam(learning_rate=0.1), table, batches)
    adam = _train(tf.keras.optimizers.Adam(0.1), table, batches)
    # Adam keeps moving row 0 on the second step (its decayed moment); LazyAdam does not.
    assert abs(lazy[0, 0] - adam[0, 0]) > 1e-3
    np.testing.assert_allclose(lazy[1], adam[1], rtol=1e-5)
    np.testing.assert_array_equal(lazy[2], 0.0)


def test_dense_gradients_take_adam_unchanged():
    start = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = []
    for optimizer in (LazyAdam(learning_rate=0.1), tf.keras.optimizers.Adam(0.1)):
        variable = tf.Variable(start)
        for _ in range(3):
            optimizer.apply_gradients([(tf.constant(start * 0.5 - 1.0), variable)])
        out.append(variable.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6)


def test_amsgrad_is_refused():
    with pytest.raises(ValueError, match="amsgrad"):
        LazyAdam(amsgrad=True)


_MIRRORED = """
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from rec_model.lazy_adam import LazyAdam
table = np.random.default_rng(3).normal(size=(8, 2)).astype(np.float32)
rows = [tf.constant([1, 5, 5]), tf.constant([5, 6, 1])]  # row 5 on both replicas
out = []
for strategy in (tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]), None):
    scope = strategy.scope() if strategy else tf.init_scope()
    with scope:
        variable, optimizer = tf.Variable(table), LazyAdam(learning_rate=0.1)
    def step(index):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(variable, index) * 0.5)
        optimizer.apply_gradients([(tape.gradient(loss, variable), variable)])
    for _ in range(3):
        if strategy:
            values = strategy.experimental_distribute_values_from_function(
                lambda ctx: rows[ctx.replica_id_in_sync_group])
            strategy.run(tf.function(step), args=(values,))
        else:
            step(tf.concat(rows, 0))
    out.append(variable.numpy())
np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)
np.testing.assert_array_equal(out[0][[0, 2, 3, 4, 7]], table[[0, 2, 3, 4, 7]])
print("same")
"""


def test_replicas_summing_the_same_rows_update_them_once_as_one_batch_would():
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-c", _MIRRORED], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "same" in done.stdout, done.stderr[-2000:]
