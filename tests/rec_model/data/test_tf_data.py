"""`without_autotuner`: the autotuner is off and the elements are unchanged."""

import tensorflow as tf

from rec_model.data.tf_data import without_autotuner


def test_turns_the_autotuner_off_and_keeps_the_elements_in_order():
    ds = tf.data.Dataset.range(10).shuffle(10, seed=3, reshuffle_each_iteration=False).map(
        lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE).batch(3)
    assert ds.options().autotune.enabled is None  # Unset: the autotuner runs.
    untuned = without_autotuner(ds)
    assert untuned.options().autotune.enabled is False
    assert [b.tolist() for b in untuned.as_numpy_iterator()] == \
        [b.tolist() for b in ds.as_numpy_iterator()]
