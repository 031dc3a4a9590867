"""Batched TFRecord output and progress lines shared by the components."""

import gzip
import io
import logging
import random

import apache_beam as beam
import pyarrow as pa
import tensorflow as tf
from apache_beam.io.tfrecordio import _TFRecordUtil

from components import common


def _records(seed=0, n=500):
    rng = random.Random(seed)
    return [bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 7, 80, 81, 300])))
            for _ in range(n)]


def test_frame_records_is_byte_identical_to_beams_tfrecord_writer():
    records = _records()
    reference = io.BytesIO()
    for record in records:
        _TFRecordUtil.write_record(reference, record)
    assert common.frame_records(records) == reference.getvalue()
    assert common.frame_records([]) == b""


def test_framed_blobs_written_by_the_sink_read_back_in_order(tmp_path):
    blobs = [_records(seed, 50) for seed in range(4)]
    prefix = str(tmp_path / "out" / "data")
    with beam.Pipeline() as pipeline:
        _ = (pipeline | beam.Create([common.frame_records(b) for b in blobs])
             | common.WriteFramedTFRecords(prefix))
    files = tf.io.gfile.glob(prefix + "*.gz")
    assert files and all(gzip.open(f).read() for f in files)  # gzip, as TFX expects
    read = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    assert sorted(read) == sorted(r for b in blobs for r in b)


def test_examples_from_record_batch_are_tf_examples():
    offsets = pa.array([0, 1, 2], pa.int32())
    batch = pa.RecordBatch.from_arrays(
        [pa.ListArray.from_arrays(offsets, pa.array([b"a", b"b"])),
         pa.ListArray.from_arrays(offsets, pa.array([3, 4], pa.int64()))], ["id", "n"])
    examples = [tf.train.Example.FromString(e) for e in common.examples_from_record_batch(batch)]
    assert [e.features.feature["id"].bytes_list.value[0] for e in examples] == [b"a", b"b"]
    assert [e.features.feature["n"].int64_list.value[0] for e in examples] == [3, 4]


def test_log_throughput_goes_to_the_progress_logger(caplog):
    with caplog.at_level(logging.INFO, logger=common.PROGRESS_LOGGER):
        message = common.log_throughput("example_gen", 400_000, "rows", 8.0, "train 320,000")
    assert message == "400,000 rows in 8.0s (50,000 rows/s); train 320,000"
    assert caplog.records[0].name == common.PROGRESS_LOGGER
    assert caplog.records[0].getMessage() == f"example_gen: {message}"
