"""Beam transforms: canonical interactions.csv -> split tf.Example TFRecords + quarantine.

Rows travel in batches, never one element per row (Beam's per-element cost was most of the
old ingest time): each file is read in columnar batches (`interaction_batches`); for the
per-user time split a batch is cut into one Arrow part per user bucket and the bucket is the
GroupByKey key, so the shuffle moves a few compact parts per batch instead of every row; a
bucket's rows are split with numpy, encoded to tf.Examples in C++ (tfx_bsl) and framed as
TFRecord bytes, which the sink appends to gzipped files. Quarantined rows are written one
JSON line each with file, line, reason and raw text; good + quarantined = input rows.
"""

import fnmatch
import json
import math
import os
from typing import Dict, List

import apache_beam as beam

from components import common
from components.example_gen import batch_split
from components.example_gen.config import ExampleGenConfig
from rec_model import features as F
from rec_model.data import interaction_batches

QUARANTINE_TAG = "quarantine"
SPLITS = batch_split.SPLITS
COUNTS_PREFIX = "counts"
# A bucket gathers about this much input so its rows fit in a worker's memory at any scale.
BUCKET_INPUT_BYTES = 8 << 20
MIN_BUCKETS, MAX_BUCKETS = 4, 8192
ENCODE_ROWS = 65536  # Rows per tf.Example encoding call and per written blob.


def bucket_count(input_bytes: int) -> int:
    """User buckets for `input_bytes` of CSV: about `BUCKET_INPUT_BYTES` each."""
    return max(MIN_BUCKETS, min(MAX_BUCKETS, math.ceil(input_bytes / BUCKET_INPUT_BYTES)))


class _ReadBatchesFn(beam.DoFn):
    """Streams one canonical CSV file as `InteractionBatch`es; malformed rows go to the
    quarantine output as JSON lines."""

    def __init__(self, batch_rows: int):
        super().__init__()
        self._batch_rows = batch_rows
        self._rows = beam.metrics.Metrics.counter("example_gen", "rows_read")

    def process(self, path: str):
        from_feedback = fnmatch.fnmatch(os.path.basename(path), F.FEEDBACK_SPAN_GLOB)
        for batch in interaction_batches.iter_interaction_batches(path, self._batch_rows):
            self._rows.inc(len(batch) + len(batch.quarantined))
            for record in batch.quarantined:
                yield beam.pvalue.TaggedOutput(QUARANTINE_TAG, record.to_json())
            if len(batch):
                yield batch, from_feedback


def interaction_to_example(record) -> bytes:
    """Serialises one `canonical.Interaction` as a tf.Example (rating 0.0 = no rating)."""
    batch = interaction_batches.InteractionBatch()
    batch.add(record)
    table = batch_split.to_table(batch)
    return common.examples_from_record_batch(batch_split.example_batch(table))[0]


def _framed(table, is_eval):
    """(split, rows, TFRecord bytes) per split and per `ENCODE_ROWS` rows of `table`."""
    for split, rows in batch_split.by_split(table, is_eval):
        for start in range(0, rows.num_rows, ENCODE_ROWS):
            chunk = rows.slice(start, ENCODE_ROWS)
            examples = common.examples_from_record_batch(batch_split.example_batch(chunk))
            yield split, chunk.num_rows, common.frame_records(examples)


def _split_bucket(keyed_parts, config: ExampleGenConfig):
    _, parts = keyed_parts
    yield from _framed(*batch_split.time_split(batch_split.from_bytes(parts), config))


def _split_random(tagged, config: ExampleGenConfig):
    table = batch_split.to_table(*tagged)
    yield from _framed(table, batch_split.random_split(table, config))


def _count(pcoll, name: str):
    return pcoll | f"Count{name}" >> beam.CombineGlobally(sum) | f"Key{name}" >> beam.Map(
        lambda n, key=name: json.dumps({key: n})
    )


@beam.ptransform_fn
def IngestInteractions(  # pylint: disable=invalid-name
    pipeline, input_files: List[str], examples_uri: str, quarantine_uri: str,
    config: ExampleGenConfig, n_buckets: int = MIN_BUCKETS,
    batch_rows: int = interaction_batches.DEFAULT_BATCH_ROWS,
):
    """Reads, validates, splits and writes interactions.

    Writes `<examples_uri>/Split-<split>/data_tfrecord-*.gz` (TFX's Examples layout),
    `<quarantine_uri>/quarantine-*.jsonl` and `<quarantine_uri>/counts-*.jsonl`.

    Args:
        n_buckets: user buckets of the time split (`bucket_count` of the input size); each
            holds all rows of its users in one worker's memory.
        batch_rows: good rows per read batch.
    """
    read = (
        pipeline
        | "InputFiles" >> beam.Create(sorted(input_files))
        | "ReadCsv" >> beam.ParDo(
            _ReadBatchesFn(batch_rows)).with_outputs(
            QUARANTINE_TAG, main="batches")
    )
    if config.split_mode == "user_time":
        # A user's rows must meet in one place; the key is a bucket of users, the values are
        # compact Arrow parts, so the shuffle is small and moves whole batches.
        framed = (
            read.batches
            | "KeyByUserBucket" >> beam.FlatMap(batch_split.bucket_parts, n_buckets)
            | "GroupByUserBucket" >> beam.GroupByKey()
            | "SplitByTime" >> beam.FlatMap(_split_bucket, config)
        )
    else:
        # Spreads the batches of one file over the workers (a file is read by one worker).
        framed = (
            read.batches
            | "Redistribute" >> beam.Reshuffle()
            | "SplitRandom" >> beam.FlatMap(_split_random, config)
        )
    parts = framed | "Partition" >> beam.Partition(lambda e, _: SPLITS.index(e[0]), len(SPLITS))
    counts = []
    for split, part in zip(SPLITS, parts):
        _ = (
            part
            | f"Blob{split}" >> beam.Map(lambda e: e[2])
            | f"Write{split}" >> common.WriteFramedTFRecords(
                os.path.join(examples_uri, f"Split-{split}", "data_tfrecord"))
        )
        counts.append(_count(part | f"Rows{split}" >> beam.Map(lambda e: e[1]), f"rows_{split}"))
    quarantined = read[QUARANTINE_TAG]
    _ = quarantined | "WriteQuarantine" >> beam.io.WriteToText(
        os.path.join(quarantine_uri, "quarantine"), file_name_suffix=".jsonl"
    )
    counts.append(_count(quarantined | "OnePerRow" >> beam.Map(lambda _: 1), "rows_quarantined"))
    _ = (
        counts
        | "FlattenCounts" >> beam.Flatten()
        | "WriteCounts" >> beam.io.WriteToText(
            os.path.join(quarantine_uri, COUNTS_PREFIX), file_name_suffix=".jsonl"
        )
    )
    return pipeline


def read_counts(quarantine_uri: str) -> Dict[str, int]:
    """Reads the counts written by `IngestInteractions`; adds `rows_read`."""
    import tensorflow as tf

    counts = {f"rows_{split}": 0 for split in SPLITS}
    counts["rows_quarantined"] = 0
    for path in tf.io.gfile.glob(os.path.join(quarantine_uri, f"{COUNTS_PREFIX}*.jsonl")):
        with tf.io.gfile.GFile(path) as f:
            for line in f:
                if line.strip():
                    counts.update(json.loads(line))
    counts["rows_read"] = sum(counts.values())
    return counts
