"""tf.data settings shared by every training input pipeline (Keras 2 trainer, Keras 3 MLM)."""


def without_autotuner(ds):
    """`ds` with tf.data's autotuner off.

    Why: deleting an iterator (Keras does at the end of every `fit` and, for a finite data set,
    of every epoch) can wait for the autotuner's thread to wake from its current sleep, a lost
    wake-up in TensorFlow's cancellation; the sleep doubles while the iterator lives, up to
    about a minute (seen as 28 s after `fit` returned at size S, 58 s at M). Parallel stages
    keep their parallelism: `num_parallel_calls=AUTOTUNE` then runs as many calls as the
    runner has threads (seen on 2 cores).

    Args:
        ds: any `tf.data.Dataset`.

    Returns:
        The same elements, in the same order.
    """
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)
