import contextlib
import logging

import tensorflow as tf

from tfx_pipeline.log_filters import KNOWN_NOISE, describe, quiet_known_noise


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def sharding(self):
        return [m for m in self.messages if m.startswith("Sharding callback")]


@contextlib.contextmanager
def _absl_records():
    """Records of TensorFlow's absl logger itself, at INFO: other tests may have changed the
    root logger's level or handlers."""
    absl_logger, records = logging.getLogger("absl"), _Records()
    level = absl_logger.level
    absl_logger.setLevel(logging.INFO)
    absl_logger.addHandler(records)
    try:
        yield records
    finally:
        absl_logger.removeHandler(records)
        absl_logger.setLevel(level)


def test_a_checkpoint_write_at_info_level_shows_no_sharding_line(tmp_path):
    with _absl_records() as records:
        checkpoint = tf.train.Checkpoint(v=tf.Variable(1.0))
        checkpoint.write(str(tmp_path / "shown"))
        assert records.sharding()  # TensorFlow does log it at INFO
        records.messages.clear()
        with quiet_known_noise() as quiet:
            checkpoint.write(str(tmp_path / "quiet"))
        assert not records.sharding()
        assert quiet.dropped >= 1


def _save_a_signature_capturing_a_table(path):
    module = tf.Module()
    module.table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(["a"], [1], tf.string, tf.int32), -1)
    inner = tf.function(module.table.lookup)  # its captures get names the saver normalises
    module.lookup = tf.function(lambda ids: {"ids": inner(ids)},
                                input_signature=[tf.TensorSpec([None], tf.string, "ids")])
    tf.saved_model.save(module, path, signatures=module.lookup)


def test_the_savers_renaming_line_is_dropped(tmp_path):
    with _absl_records() as records:
        _save_a_signature_capturing_a_table(str(tmp_path / "shown"))
        assert [m for m in records.messages if "unsupported characters" in m]  # at INFO
        records.messages.clear()
        logging.getLogger("absl").setLevel(logging.INFO)  # saving lowers absl's verbosity
        with quiet_known_noise() as quiet:
            _save_a_signature_capturing_a_table(str(tmp_path / "quiet"))
        assert not [m for m in records.messages if "unsupported characters" in m]
        assert quiet.dropped >= 1


def test_every_known_noise_is_described():
    assert len(describe().splitlines()) == len(KNOWN_NOISE)


def test_a_relayed_worker_message_is_matched_on_the_worker_message():
    logger, records = logging.getLogger("apache_beam.runners.portability.local_job_service"), \
        _Records()
    logger.addHandler(records)
    relayed = ('Worker: severity: WARN timestamp {   seconds: 1796371351 } message: "%s: '
               'Functions defined in __main__ (interactive session) may fail." thread: "1"')
    try:
        with quiet_known_noise() as quiet:
            logger.warning(relayed, "No semi_persistent_directory found")
            logger.warning(relayed, "Something else went wrong")
        assert quiet.dropped == 1
        assert records.messages == [relayed % "Something else went wrong"]
    finally:
        logger.removeHandler(records)
