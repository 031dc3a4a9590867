"""TensorBoard scalars without the `tensorboard` package (not installed here).

`tf.summary.scalar` and Keras' TensorBoard callback live in the tensorboard package; the
event-file writer and `tf.summary.write` are TensorFlow core. Scalars written here carry
TensorBoard's "scalars" plugin metadata, so any TensorBoard reads them as usual:

    tensorboard --logdir <ModelRun uri>
"""

import os
from typing import Dict

import tensorflow as tf
from tensorflow.core.framework import summary_pb2

_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")).SerializeToString()


def write_scalars(writer, values: Dict[str, float], step: int) -> None:
    with writer.as_default():
        for name, value in values.items():
            tf.summary.write(name, tf.constant(float(value), tf.float32), step=step,
                             metadata=_SCALAR_METADATA)
    writer.flush()


def write_scalars_to(log_dir: str, values: Dict[str, float], step: int) -> None:
    """One-off scalars (e.g. eval metrics) into `log_dir`."""
    writer = tf.summary.create_file_writer(log_dir)
    write_scalars(writer, values, step)
    writer.close()


class EpochScalars(tf.keras.callbacks.Callback):
    """Writes every epoch's Keras logs (loss, loss_<agent>, alpha_<agent>, loss_ensemble, ...)
    to `<log_dir>/train` as scalars. Only the chief writes (pass `enabled=False` elsewhere).

    Args:
        log_dir: folder of this stage's events.
        enabled: False on non-chief workers.
    """

    def __init__(self, log_dir: str, enabled: bool = True):
        super().__init__()
        self.log_dir, self.enabled = log_dir, enabled
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if not self.enabled or not logs:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))
        write_scalars(self._writer, {k: v for k, v in logs.items() if _is_number(v)}, epoch)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False
