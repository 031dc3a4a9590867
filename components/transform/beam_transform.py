"""Beam part of the transform component: tf.Transform analysis on train, apply to all splits."""

import os
from typing import Sequence

import apache_beam as beam
import tensorflow_transform.beam as tft_beam
from tfx_bsl.public import tfxio

from components import common
from components.transform import preprocessing

TRANSFORMED_PREFIX = "transformed_examples"
READ_BATCH_ROWS = 8192  # Rows per decoded RecordBatch (one TF graph call each).


def split_pattern(examples_uri: str, split: str) -> str:
    """File pattern of one split in TFX's Examples layout."""
    return os.path.join(examples_uri, f"Split-{split}", "*")


def to_framed_examples(transformed) -> bytes:
    """One transformed RecordBatch (with TFT's passthrough dict) -> TFRecord bytes of its
    tf.Examples, encoded in C++ (tfx_bsl) instead of one Python proto per row."""
    record_batch, _ = transformed
    return common.frame_records(common.examples_from_record_batch(record_batch))


class _ReadExampleBatchesFn(beam.DoFn):
    """A TFRecord file of tf.Examples -> Arrow RecordBatches of `batch_size` rows.

    tf.data reads and checks the records in C++ and tfx_bsl decodes a whole batch at once;
    TFXIO's `BeamSource` reads one record per Beam element in Python, which was the larger
    part of this component's time. (`common.read_record_batches`, 2x faster than `tf.data`
    when a whole split is read into arrays, made this stage 1.10x slower at size M: tf.data
    reading in C++ overlaps the decoding: wall time below CPU time, bench/results/
    examples_read_s26.md.)
    """

    def __init__(self, schema, batch_size: int):
        super().__init__()
        self._schema_bytes = schema.SerializeToString()
        self._batch_size = batch_size
        self._decoder = None

    def setup(self):
        from tfx_bsl.coders import example_coder  # pylint: disable=import-outside-toplevel

        self._decoder = example_coder.ExamplesToRecordBatchDecoder(self._schema_bytes)

    def process(self, path: str):
        import tensorflow as tf  # pylint: disable=import-outside-toplevel

        dataset = tf.data.TFRecordDataset(path, compression_type="GZIP").batch(self._batch_size)
        for records in dataset.as_numpy_iterator():
            yield self._decoder.DecodeBatch(records.tolist())


def read_example_batches(pipeline, examples_uri: str, split: str, schema, label: str,
                         batch_size: int = READ_BATCH_ROWS):
    """PCollection[pa.RecordBatch] of one split's raw tf.Examples (one reader per file)."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    files = sorted(tf.io.gfile.glob(split_pattern(examples_uri, split)))
    return (pipeline
            | f"{label}Files" >> beam.Create(files)
            | f"{label}Decode" >> beam.ParDo(_ReadExampleBatchesFn(schema, batch_size)))


@beam.ptransform_fn
def AnalyzeAndTransform(  # pylint: disable=invalid-name
    pipeline,
    examples_uri: str,
    splits: Sequence[str],
    analyze_split: str,
    transform_graph_uri: str,
    transformed_examples_uri: str,
    temp_dir: str,
):
    """Analyzes `analyze_split`, writes the transform graph, transforms and writes every split."""
    schema = preprocessing.raw_schema()
    adapter_config = tfxio.TFExampleRecord(
        file_pattern=split_pattern(examples_uri, analyze_split), schema=schema
    ).TensorAdapterConfig()
    with tft_beam.Context(temp_dir=temp_dir):
        analyzed = read_example_batches(pipeline, examples_uri, analyze_split, schema,
                                        "ReadAnalyze")
        transform_fn = (
            (analyzed, adapter_config)
            | "Analyze" >> tft_beam.AnalyzeDataset(preprocessing.preprocessing_fn)
        )
        _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(transform_graph_uri)
        for split in splits:
            # The analysed split is read again rather than reused: a reused PCollection waits in
            # the local runner's memory until the analysis ends (6 GB at 20M rows).
            raw = read_example_batches(pipeline, examples_uri, split, schema, f"Read{split}")
            transformed, _ = ((raw, adapter_config), transform_fn) | (
                f"Transform{split}" >> tft_beam.TransformDataset(output_record_batches=True)
            )
            _ = (
                transformed
                | f"Encode{split}" >> beam.Map(to_framed_examples)
                | f"Write{split}" >> common.WriteFramedTFRecords(
                    os.path.join(transformed_examples_uri, f"Split-{split}", TRANSFORMED_PREFIX))
            )
    return pipeline
