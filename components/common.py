"""Helpers shared by several components: batched TFRecord output and progress lines.

Beam pays a fixed cost per element and per `write` call, so components that write millions
of tf.Examples hand the sink whole batches: `frame_records` turns a batch of serialized
records into TFRecord bytes (length, masked crc32c, data, masked crc32c) in one pass, and
`WriteFramedTFRecords` appends such blobs to the usual sharded, gzipped TFRecord files.
`read_record_batches` reads such files back a batch of records at a time.
"""

import gzip
import logging
import struct
import time
import zlib
from typing import Iterator, List, Optional, Sequence

import apache_beam as beam
import numpy as np
from apache_beam import coders
from apache_beam.io import filebasedsink
from apache_beam.io.filesystem import CompressionTypes

try:
    from google_crc32c import value as _crc32c  # C implementation, a Beam/GCS dependency.
except ImportError:  # pragma: no cover - Beam's own fallback (crcmod) is slower but correct.
    from apache_beam.io.tfrecordio import _default_crc32c_fn as _crc32c

PROGRESS_LOGGER = "recsys.progress"
# Records parsed per `tf.io.parse_example` call when a whole split is read into arrays.
PARSE_BATCH_ROWS = 65536


def _masked(crc: np.ndarray) -> np.ndarray:
    """TFRecord's masked crc32c, on uint32 arrays."""
    crc = crc.astype(np.uint32)
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(0xA282EAD8)


def _length_crcs(lengths: np.ndarray) -> np.ndarray:
    """[n] uint32 masked crc32c of each record length as TFRecord stores it (little-endian
    uint64); records have few distinct lengths, so each is checksummed once."""
    sizes, where = np.unique(np.asarray(lengths).astype("<u8"), return_inverse=True)
    crcs = np.fromiter((_crc32c(s.tobytes()) for s in sizes), np.uint32, count=len(sizes))
    return _masked(crcs)[where]


def _data_crcs(records: Sequence[bytes]) -> np.ndarray:
    """[n] uint32 masked crc32c of each record (in C, through `map`)."""
    return _masked(np.fromiter(map(_crc32c, records), np.uint32, count=len(records)))


def frame_records(records: Sequence[bytes]) -> bytes:
    """Serialized records -> the bytes of a TFRecord file holding them, in order.

    Each record becomes `uint64 length, masked crc32c(length), data, masked crc32c(data)`
    (little endian). Only the checksums are computed per record (in C, through `map`); the
    frame is assembled with numpy, as per-record Python work was a third of ingest time.
    """
    n = len(records)
    if n == 0:
        return b""
    lengths = np.fromiter(map(len, records), np.uint64, count=n)
    heads = np.empty(n, dtype=[("length", "<u8"), ("crc", "<u4")])
    heads["length"] = lengths
    heads["crc"] = _length_crcs(lengths)
    trailers = _data_crcs(records).astype("<u4")
    # Record i starts at 16 * i + (bytes of records before it).
    starts = np.zeros(n, dtype=np.int64)
    starts[1:] = np.cumsum(lengths[:-1].astype(np.int64) + 16)
    out = np.empty(int(lengths.sum()) + 16 * n, dtype=np.uint8)
    is_data = np.ones(out.size, dtype=bool)
    head_at = (starts[:, None] + np.arange(12)).ravel()
    tail_at = (starts + 12 + lengths.astype(np.int64))[:, None] + np.arange(4)
    is_data[head_at] = False
    is_data[tail_at.ravel()] = False
    out[head_at] = np.frombuffer(heads.tobytes(), dtype=np.uint8)
    out[tail_at.ravel()] = np.frombuffer(trailers.tobytes(), dtype=np.uint8)
    out[is_data] = np.frombuffer(b"".join(records), dtype=np.uint8)
    return out.tobytes()


def _frames(path: str, buffer: bytes, offset: int):
    """The whole records at the start of `buffer` and the bytes they take, checksums checked.

    Args:
        path: the file (for errors).
        buffer: uncompressed TFRecord bytes starting at a record boundary.
        offset: where `buffer` starts in the uncompressed stream (for errors).

    Raises:
        ValueError: a checksum differs; names the file and the record's byte offset.
    """
    unpack, size = struct.unpack_from, len(buffer)
    starts: List[int] = []
    pos = 0
    while pos + 12 <= size:
        length = unpack("<Q", buffer, pos)[0]
        end = pos + 16 + length
        if end > size:
            stored = unpack("<I", buffer, pos + 8)[0]
            if _length_crcs(np.asarray([length], np.uint64))[0] != stored:
                raise ValueError(f"{path}: corrupt TFRecord length at byte {offset + pos} of "
                                 "the uncompressed stream")
            break
        starts.append(pos)
        pos = end
    if not starts:
        return [], pos
    at = np.asarray(starts, dtype=np.int64)
    raw = np.frombuffer(buffer, dtype=np.uint8, count=pos)
    heads = raw[(at[:, None] + np.arange(12)).ravel()].view("<u8, <u4")
    lengths, length_crcs = heads["f0"].astype(np.int64), heads["f1"]
    tails = raw[((at + 12 + lengths)[:, None] + np.arange(4)).ravel()].view("<u4")
    records = [buffer[s + 12:s + 12 + n] for s, n in zip(starts, lengths.tolist())]
    bad = np.flatnonzero((_length_crcs(lengths) != length_crcs)
                         | (_data_crcs(records) != tails))
    if bad.size:
        raise ValueError(f"{path}: corrupt TFRecord at byte {offset + starts[bad[0]]} of the "
                         "uncompressed stream: checksum mismatch")
    return records, pos


def read_record_batches(path: str, batch_size: int, compression: str = "GZIP",
                        read_bytes: int = 16 << 20) -> Iterator[List[bytes]]:
    """The serialized records of one TFRecord file, `batch_size` at a time, checksums checked.

    Frames are found by a plain Python loop over buffers of `read_bytes` and checked with
    numpy: `tf.data`'s `TFRecordDataset` pays a per-record element cost, and reading and
    parsing a split of millions of small tf.Examples took 1.7-2x as long with it
    (bench/results/examples_read_s26.md). Any `tf.io.gfile` path (local, gs://).
    Inside a Beam DoFn that decodes as it reads, `tf.data` can still be faster: its C++
    reading overlaps the decoding, where this loop holds the GIL.

    Args:
        path: the file.
        batch_size: records per yielded list (the last may be shorter).
        compression: "GZIP" or "" (none), as `tf.data.TFRecordDataset` takes it.
        read_bytes: uncompressed bytes read at a time.

    Raises:
        ValueError: a truncated or corrupt file, naming it and the byte offset.
    """
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    with tf.io.gfile.GFile(path, "rb") as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if compression == "GZIP" else raw
        buffer, consumed, pending = b"", 0, []
        while True:
            try:
                more = stream.read(read_bytes)
            except (OSError, EOFError, zlib.error) as error:
                raise ValueError(f"{path}: unreadable {compression or 'uncompressed'} data "
                                 f"after byte {consumed + len(buffer)}: {error}") from error
            buffer = buffer + more if buffer else more
            records, used = _frames(path, buffer, consumed)
            pending.extend(records)
            buffer, consumed = buffer[used:], consumed + used
            while len(pending) >= batch_size or (pending and not more):
                yield pending[:batch_size]
                pending = pending[batch_size:]
            if not more:
                break
        if buffer:
            raise ValueError(f"{path}: truncated TFRecord at byte {consumed} of the uncompressed "
                             f"stream ({len(buffer)} bytes left over)")


def examples_from_record_batch(record_batch) -> List[bytes]:
    """Serialized tf.Examples of a pyarrow RecordBatch of list columns (tfx_bsl, C++)."""
    from tfx_bsl.coders import example_coder  # pylint: disable=import-outside-toplevel

    return example_coder.RecordBatchToExamples(record_batch)


class _FramedTFRecordSink(filebasedsink.FileBasedSink):
    """A TFRecord sink whose elements are already framed (`frame_records`) blobs."""

    def __init__(self, file_path_prefix: str, file_name_suffix: str, compression_type):
        super().__init__(file_path_prefix, coder=coders.BytesCoder(),
                         file_name_suffix=file_name_suffix, num_shards=0,
                         shard_name_template=None, mime_type="application/octet-stream",
                         compression_type=compression_type)

    def write_encoded_record(self, file_handle, value: bytes) -> None:
        file_handle.write(value)


def WriteFramedTFRecords(  # pylint: disable=invalid-name
        file_path_prefix: str, file_name_suffix: str = ".gz",
        compression_type=CompressionTypes.GZIP) -> beam.PTransform:
    """Like `beam.io.WriteToTFRecord`, for a PCollection of `frame_records` blobs."""
    return beam.io.Write(_FramedTFRecordSink(file_path_prefix, file_name_suffix, compression_type))


def log_throughput(component: str, count: int, unit: str, seconds: float,
                   detail: Optional[str] = None) -> str:
    """Logs `<component>: <count> <unit> in <s>s (<rate> <unit>/s)[; detail]` for progress.

    The pipeline's progress display (tfx_pipeline/progress.py) prints these lines next to
    the component's end line; elsewhere they are ordinary INFO log records.

    Returns:
        The message.
    """
    rate = count / seconds if seconds > 0 else 0.0
    message = f"{count:,} {unit} in {seconds:.1f}s ({rate:,.0f} {unit}/s)"
    if detail:
        message += f"; {detail}"
    logging.getLogger(PROGRESS_LOGGER).info("%s: %s", component, message)
    return message


class Stopwatch:  # pylint: disable=too-few-public-methods
    """Seconds since creation (`time.monotonic`)."""

    def __init__(self):
        self._start = time.monotonic()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._start
