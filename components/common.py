"""Helpers shared by several components: batched TFRecord output and progress lines.

Beam pays a fixed cost per element and per `write` call, so components that write millions
of tf.Examples hand the sink whole batches: `frame_records` turns a batch of serialized
records into TFRecord bytes (length, masked crc32c, data, masked crc32c) in one pass, and
`WriteFramedTFRecords` appends such blobs to the usual sharded, gzipped TFRecord files.
"""

import logging
import time
from typing import List, Optional, Sequence

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


def _masked(crc: np.ndarray) -> np.ndarray:
    """TFRecord's masked crc32c, on uint32 arrays."""
    crc = crc.astype(np.uint32)
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(0xA282EAD8)


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
    sizes, where = np.unique(lengths, return_inverse=True)  # Few distinct sizes: crc each once.
    size_bytes = sizes.astype("<u8")
    size_crcs = np.fromiter((_crc32c(s.tobytes()) for s in size_bytes), np.uint32,
                            count=len(sizes))
    heads = np.empty(n, dtype=[("length", "<u8"), ("crc", "<u4")])
    heads["length"] = lengths
    heads["crc"] = _masked(size_crcs)[where]
    trailers = _masked(np.fromiter(map(_crc32c, records), np.uint32, count=n)).astype("<u4")
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
