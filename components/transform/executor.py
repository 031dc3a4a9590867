"""transform executor: a thin wrapper around `beam_transform.AnalyzeAndTransform`."""

import logging
import os
from typing import Any, Dict, List

import tensorflow as tf
from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact, artifact_utils

from components import common
from components.transform import beam_transform
from rec_model import features

EXAMPLES_KEY = "examples"
TRANSFORM_GRAPH_KEY = "transform_graph"
TRANSFORMED_EXAMPLES_KEY = "transformed_examples"


class Executor(base_beam_executor.BaseBeamExecutor):
    """Runs the tf.Transform analysis on the train split and transforms every split."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        splits = artifact_utils.decode_split_names(examples.split_names)
        if features.TRAIN_SPLIT not in splits:
            raise ValueError(
                f"{examples.uri}: Examples artifact has splits {splits}, no "
                f"{features.TRAIN_SPLIT!r} split to analyze; produce it with example_gen."
            )
        graph = artifact_utils.get_single_instance(output_dict[TRANSFORM_GRAPH_KEY])
        transformed = artifact_utils.get_single_instance(output_dict[TRANSFORMED_EXAMPLES_KEY])
        temp_dir = os.path.join(graph.uri, ".tft_temp")
        clock = common.Stopwatch()
        with self._make_beam_pipeline() as pipeline:
            _ = pipeline | "AnalyzeAndTransform" >> beam_transform.AnalyzeAndTransform(
                examples.uri, splits, features.TRAIN_SPLIT, graph.uri, transformed.uri, temp_dir
            )
        if tf.io.gfile.exists(temp_dir):
            tf.io.gfile.rmtree(temp_dir)
        transformed.split_names = artifact_utils.encode_split_names(list(splits))
        transformed.span = examples.span
        logging.info("transform: graph at %s, transformed splits %s", graph.uri, splits)
        # example_gen's row counts (absent on Examples from elsewhere: then no rate).
        rows = sum(examples.get_int_custom_property(f"rows_{split}") for split in splits
                   if examples.has_custom_property(f"rows_{split}"))
        if rows:
            common.log_throughput("transform", rows, "rows", clock.seconds,
                                  f"analyzed {features.TRAIN_SPLIT}, wrote {', '.join(splits)}")
