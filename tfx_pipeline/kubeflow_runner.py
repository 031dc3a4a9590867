"""Compiles the pipeline to a Kubeflow Pipelines v2 / Vertex AI Pipelines job spec (JSON)."""

import argparse
import os
import sys

from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner

from tfx_pipeline import pipeline as pipeline_lib
from tfx_pipeline.config import PipelineConfig


def _stand_in_unimportable_tfx_components() -> None:
    """Without tensorflow-data-validation (no wheel for glibc < 2.39) `tfx.components` leaves
    its standard components as None, and the KFP v2 step builder's `isinstance` checks against
    `FileBasedExampleGen` / `InfraValidator` then fail. This pipeline uses neither, so stand-in
    classes that nothing is an instance of keep those checks false. No-op on a full TFX install."""
    import tfx.components as standard_components

    for name in ("FileBasedExampleGen", "InfraValidator"):
        if getattr(standard_components, name, None) is None:
            setattr(standard_components, name, type(f"Unavailable{name}", (), {}))


def compile_pipeline(image: str, out: str, config: PipelineConfig, **component_configs) -> str:
    """Writes the KFP v2 spec to `out` and returns its path.

    `config.data_root` / `pipeline_root` / `serving_dir` are read by the pipeline's pods (e.g.
    gs:// or a mounted volume); the input fingerprint is left empty, so Kubeflow's cache keys
    on the parameters. Kubeflow provides ML Metadata itself.

    Raises:
        ValueError: the trainer launches cluster replicas (TFJob / Vertex AI) but the pipeline
            root is a local path, which those replicas cannot read.
    """
    trainer_config = component_configs.get("trainer_config")
    if trainer_config is not None and trainer_config.launcher != "local":
        from components.trainer.shared_storage import require_shared

        require_shared({"pipeline root": config.pipeline_root}, trainer_config.launcher)
    pipeline = pipeline_lib.create_pipeline(
        config, metadata_connection_config=None, input_fingerprint="", **component_configs
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
    parser.add_argument("--serving-dir", default="")
    args, beam_args = parser.parse_known_args(argv)
    config = PipelineConfig(args.data, args.pipeline_root, args.serving_dir,
                            beam_pipeline_args=tuple(beam_args),
                            last_stage="push" if args.serving_dir else "evaluate")
    print(compile_pipeline(args.image, args.out, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
