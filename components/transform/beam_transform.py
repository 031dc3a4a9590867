"""Beam part of the transform component: tf.Transform analysis on train, apply to all splits."""

import os
from typing import Sequence

import apache_beam as beam
import numpy as np
import tensorflow as tf
import tensorflow_transform.beam as tft_beam
from tfx_bsl.public import tfxio

from components.transform import preprocessing

TRANSFORMED_PREFIX = "transformed_examples"


def split_pattern(examples_uri: str, split: str) -> str:
    """File pattern of one split in TFX's Examples layout."""
    return os.path.join(examples_uri, f"Split-{split}", "*")


def to_tf_example(instance) -> bytes:
    """Encodes one transformed instance (scalars or 1-d arrays) as a serialized tf.Example."""
    feature = {}
    for name, value in instance.items():
        values = np.atleast_1d(np.asarray(value))
        if values.dtype.kind in ("S", "O", "U"):
            encoded = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values.tolist()]
            feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=encoded))
        elif values.dtype.kind in ("i", "u", "b"):
            feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=values.astype(np.int64).tolist()))
        else:
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=values.astype(np.float32).tolist()))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


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
    with tft_beam.Context(temp_dir=temp_dir):
        analyze_io = tfxio.TFExampleRecord(file_pattern=split_pattern(examples_uri, analyze_split), schema=schema)
        transform_fn = (
            (pipeline | "ReadAnalyze" >> analyze_io.BeamSource(), analyze_io.TensorAdapterConfig())
            | "Analyze" >> tft_beam.AnalyzeDataset(preprocessing.preprocessing_fn)
        )
        _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(transform_graph_uri)
        for split in splits:
            split_io = tfxio.TFExampleRecord(file_pattern=split_pattern(examples_uri, split), schema=schema)
            raw = pipeline | f"Read{split}" >> split_io.BeamSource()
            transformed, _ = ((raw, split_io.TensorAdapterConfig()), transform_fn) | (
                f"Transform{split}" >> tft_beam.TransformDataset()
            )
            _ = (
                transformed
                | f"Encode{split}" >> beam.Map(to_tf_example)
                | f"Write{split}" >> beam.io.WriteToTFRecord(
                    os.path.join(transformed_examples_uri, f"Split-{split}", TRANSFORMED_PREFIX),
                    file_name_suffix=".gz",
                    compression_type=beam.io.filesystem.CompressionTypes.GZIP,
                )
            )
    return pipeline
