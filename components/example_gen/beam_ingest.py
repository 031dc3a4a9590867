"""Beam transforms: canonical interactions.csv -> split tf.Example TFRecords + quarantine."""

import json
import os
from typing import Dict, List

import apache_beam as beam

from components.example_gen import splitting
from components.example_gen.config import ExampleGenConfig
from rec_model import features
from rec_model.data import canonical

QUARANTINE_TAG = "quarantine"
SPLITS = (features.TRAIN_SPLIT, features.EVAL_SPLIT)
COUNTS_PREFIX = "counts"


class _ReadInteractionsFn(beam.DoFn):
    """Streams one canonical CSV file; malformed rows go to the quarantine output."""

    def process(self, path: str):
        for record in canonical.iter_interactions(path):
            if isinstance(record, canonical.Quarantined):
                yield beam.pvalue.TaggedOutput(QUARANTINE_TAG, record.to_json())
            else:
                yield record


def interaction_to_example(record: "canonical.Interaction") -> bytes:
    """Serialises one interaction as a tf.Example (rating 0.0 means "no explicit rating")."""
    import tensorflow as tf  # Imported lazily: workers only pay for it when they serialise.

    feature = {
        features.USER_ID: tf.train.Feature(bytes_list=tf.train.BytesList(value=[record.user_id.encode("utf-8")])),
        features.ITEM_ID: tf.train.Feature(bytes_list=tf.train.BytesList(value=[record.item_id.encode("utf-8")])),
        features.TIMESTAMP: tf.train.Feature(int64_list=tf.train.Int64List(value=[int(record.timestamp)])),
        features.RATING: tf.train.Feature(
            float_list=tf.train.FloatList(value=[0.0 if record.rating is None else float(record.rating)])
        ),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _count(pcoll, name: str):
    return pcoll | f"Count{name}" >> beam.combiners.Count.Globally() | f"Key{name}" >> beam.Map(
        lambda n, key=name: json.dumps({key: n})
    )


@beam.ptransform_fn
def IngestInteractions(  # pylint: disable=invalid-name
    pipeline, input_files: List[str], examples_uri: str, quarantine_uri: str, config: ExampleGenConfig
):
    """Reads, validates, splits and writes interactions.

    Writes `<examples_uri>/Split-<split>/data_tfrecord-*.gz` (TFX's Examples layout),
    `<quarantine_uri>/quarantine-*.jsonl` and `<quarantine_uri>/counts-*.jsonl`.
    """
    read = (
        pipeline
        | "InputFiles" >> beam.Create(sorted(input_files))
        | "ReadCsv" >> beam.ParDo(_ReadInteractionsFn()).with_outputs(QUARANTINE_TAG, main="records")
    )
    records = read.records | "Redistribute" >> beam.Reshuffle()
    if config.split_mode == "user_time":
        labelled = (
            records
            | "KeyByUser" >> beam.Map(lambda r: (r.user_id, r))
            | "GroupByUser" >> beam.GroupByKey()
            | "SplitByTime" >> beam.FlatMap(lambda kv: splitting.split_user_history(kv[1], config))
        )
    else:
        labelled = records | "SplitRandom" >> beam.Map(lambda r: (splitting.random_split(r, config), r))
    parts = labelled | "Partition" >> beam.Partition(lambda kv, _: SPLITS.index(kv[0]), len(SPLITS))
    counts = []
    for split, part in zip(SPLITS, parts):
        (
            part
            | f"Serialize{split}" >> beam.Map(lambda kv: interaction_to_example(kv[1]))
            | f"Write{split}" >> beam.io.WriteToTFRecord(
                os.path.join(examples_uri, f"Split-{split}", "data_tfrecord"),
                file_name_suffix=".gz",
                compression_type=beam.io.filesystem.CompressionTypes.GZIP,
            )
        )
        counts.append(_count(part, f"rows_{split}"))
    read[QUARANTINE_TAG] | "WriteQuarantine" >> beam.io.WriteToText(
        os.path.join(quarantine_uri, "quarantine"), file_name_suffix=".jsonl"
    )
    counts.append(_count(read[QUARANTINE_TAG], "rows_quarantined"))
    (
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
