"""Compiles the pipeline to a Kubeflow Pipelines v2 / Vertex AI Pipelines job spec (JSON)."""

import argparse
import os
import sys
from typing import List, Optional

from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner

from components.example_gen.config import ExampleGenConfig
from tfx_pipeline import pipeline as pipeline_lib


def _stand_in_unimportable_tfx_components() -> None:
    """Without tensorflow-data-validation (no wheel for glibc < 2.39) `tfx.components` leaves
    its standard components as None, and the KFP v2 step builder's `isinstance` checks against
    `FileBasedExampleGen` / `InfraValidator` then fail. This pipeline uses neither, so stand-in
    classes that nothing is an instance of keep those checks false. No-op on a full TFX install."""
    import tfx.components as standard_components

    for name in ("FileBasedExampleGen", "InfraValidator"):
        if getattr(standard_components, name, None) is None:
            setattr(standard_components, name, type(f"Unavailable{name}", (), {}))


def compile_pipeline(
    image: str,
    out: str,
    data_root: str,
    pipeline_root: str,
    pipeline_name: str = pipeline_lib.DEFAULT_PIPELINE_NAME,
    example_gen_config: ExampleGenConfig = ExampleGenConfig(),
    beam_pipeline_args: Optional[List[str]] = None,
) -> str:
    """Writes the KFP v2 spec to `out` and returns its path.

    `data_root` and `pipeline_root` are read by the pipeline's pods (e.g. gs:// or a mounted
    volume); the input fingerprint is left empty, so Kubeflow's cache keys on the parameters.
    """
    pipeline = pipeline_lib.create_pipeline(
        pipeline_root=pipeline_root,
        data_root=data_root,
        pipeline_name=pipeline_name,
        example_gen_config=example_gen_config,
        beam_pipeline_args=beam_pipeline_args,
        metadata_connection_config=None,
        input_fingerprint="",
    )
    _stand_in_unimportable_tfx_components()
    runner = kubeflow_v2_dag_runner.KubeflowV2DagRunner(
        config=kubeflow_v2_dag_runner.KubeflowV2DagRunnerConfig(default_image=image),
        output_dir=os.path.dirname(os.path.abspath(out)),
        output_filename=os.path.basename(out),
    )
    runner.run(pipeline, write_out=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", required=True)
    parser.add_argument("--out", default="pipeline.json")
    parser.add_argument("--data", required=True)
    parser.add_argument("--pipeline-root", required=True)
    args, beam_args = parser.parse_known_args(argv)
    print(compile_pipeline(args.image, args.out, args.data, args.pipeline_root, beam_pipeline_args=beam_args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
