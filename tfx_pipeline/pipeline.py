"""`create_pipeline`: the pure pipeline definition shared by every runner."""

from typing import List, Optional

from tfx.dsl.components.base import base_node
from tfx.orchestration import pipeline as tfx_pipeline

from components.example_gen.component import CanonicalExampleGen
from components.example_gen.config import ExampleGenConfig
from components.transform.component import RecsysTransform

DEFAULT_PIPELINE_NAME = "recsys"


def create_components(
    data_root: str,
    example_gen_config: ExampleGenConfig = ExampleGenConfig(),
    input_fingerprint: Optional[str] = None,
) -> List[base_node.BaseNode]:
    """The pipeline's components, wired: example_gen -> transform."""
    example_gen = CanonicalExampleGen(
        input_base=data_root, config=example_gen_config, input_fingerprint=input_fingerprint
    ).with_id("example_gen")
    transform = RecsysTransform(examples=example_gen.outputs["examples"]).with_id("transform")
    return [example_gen, transform]


def create_pipeline(
    pipeline_root: str,
    data_root: str,
    pipeline_name: str = DEFAULT_PIPELINE_NAME,
    example_gen_config: ExampleGenConfig = ExampleGenConfig(),
    beam_pipeline_args: Optional[List[str]] = None,
    metadata_connection_config=None,
    enable_cache: bool = True,
    input_fingerprint: Optional[str] = None,
) -> tfx_pipeline.Pipeline:
    """Builds the TFX pipeline (no side effects beyond reading input file stats).

    Args:
        pipeline_root: where artifacts are written (local path or bucket URI).
        data_root: the canonical data folder (interactions.csv + items.csv).
        pipeline_name: name recorded in ML Metadata.
        example_gen_config: split configuration.
        beam_pipeline_args: Beam flags for every Beam step, e.g. `--runner=DataflowRunner
            --project=P --region=R --temp_location=gs://...` or `--direct_num_workers=2
            --direct_running_mode=multi_processing`.
        metadata_connection_config: ML Metadata connection (SQLite or MySQL); None on Kubeflow,
            which provides its own.
        enable_cache: reuse outputs of components whose inputs and parameters are unchanged.
        input_fingerprint: cache key of the input data (computed from file stats when None).
    """
    return tfx_pipeline.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=create_components(data_root, example_gen_config, input_fingerprint),
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(beam_pipeline_args or []),
    )
