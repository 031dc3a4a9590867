"""Batched TFRecord output and input and progress lines shared by the components."""

import gzip
import io
import logging
import random

import apache_beam as beam
import pyarrow as pa
import pytest
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


def _write(path, records, compression):
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type=compression)) as w:
        for record in records:
            w.write(record)
    return str(path)


@pytest.mark.parametrize("compression", ["GZIP", ""])
def test_read_record_batches_gives_every_record_in_order_in_batches(tmp_path, compression):
    records = _records(n=1000)
    path = _write(tmp_path / "data.tfrecord", records, compression)
    # A small read size makes records straddle buffers (and some exceed one).
    batches = list(common.read_record_batches(path, 64, compression, read_bytes=100))
    assert [len(b) for b in batches] == [64] * 15 + [40]
    assert [r for b in batches for r in b] == records
    assert list(common.read_record_batches(_write(tmp_path / "empty", [], compression), 8,
                                           compression)) == []


def _uncompressed(tmp_path, records):
    return bytearray(open(_write(tmp_path / "raw", records, ""), "rb").read())


def _gzipped(path, data) -> str:
    path.write_bytes(gzip.compress(bytes(data)))
    return str(path)


def test_read_record_batches_refuses_a_corrupt_record_naming_file_and_offset(tmp_path):
    data = _uncompressed(tmp_path, [b"a" * 10, b"b" * 10, b"c" * 10])
    data[26 + 16] ^= 1  # A data byte of the second record (records take 26 bytes each).
    with pytest.raises(ValueError, match=r"bad\.gz: corrupt TFRecord at byte 26 .*checksum"):
        list(common.read_record_batches(_gzipped(tmp_path / "bad.gz", data), 2))


def test_read_record_batches_refuses_a_corrupt_length_without_reading_on(tmp_path):
    data = _uncompressed(tmp_path, [b"a" * 10, b"b" * 10])
    data[26 + 5] = 0x7F  # The second record claims a huge length.
    with pytest.raises(ValueError, match=r"bad\.gz: corrupt TFRecord length at byte 26"):
        list(common.read_record_batches(_gzipped(tmp_path / "bad.gz", data), 8))


def test_read_record_batches_refuses_truncated_and_non_gzip_files(tmp_path):
    data = _uncompressed(tmp_path, [b"a" * 10, b"b" * 10])
    with pytest.raises(ValueError, match=r"cut\.gz: truncated TFRecord at byte 26"):
        list(common.read_record_batches(_gzipped(tmp_path / "cut.gz", data[:-3]), 8))
    plain = tmp_path / "plain.gz"
    plain.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"plain\.gz: unreadable GZIP data"):
        list(common.read_record_batches(str(plain), 8))


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
