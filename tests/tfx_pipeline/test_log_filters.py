import logging

import tensorflow as tf

from tfx_pipeline.log_filters import KNOWN_NOISE, describe, quiet_known_noise


def _sharding_lines(caplog):
    return [r for r in caplog.records if r.getMessage().startswith("Sharding callback")]


def test_a_checkpoint_write_at_info_level_shows_no_sharding_line(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    checkpoint = tf.train.Checkpoint(v=tf.Variable(1.0))
    checkpoint.write(str(tmp_path / "shown"))
    assert _sharding_lines(caplog)  # TensorFlow does log it at INFO
    caplog.clear()
    with quiet_known_noise() as quiet:
        checkpoint.write(str(tmp_path / "quiet"))
    assert not _sharding_lines(caplog)
    assert quiet.dropped >= 1


def test_every_known_noise_is_described():
    assert len(describe().splitlines()) == len(KNOWN_NOISE)
