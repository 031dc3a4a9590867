"""Runs the pipeline with TFX's LocalDagRunner and ML Metadata on SQLite (or MySQL)."""

import argparse
import os
import sys
from typing import Optional

from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from tfx_pipeline import pipeline as pipeline_lib
from tfx_pipeline.config import PipelineConfig


def metadata_config(pipeline_root: str, mysql: Optional[str] = None):
    """SQLite at `<pipeline_root>/metadata.sqlite`, or MySQL given as `HOST:PORT/DB`
    (user and password from the MYSQL_USER / MYSQL_PASSWORD environment variables)."""
    if not mysql:
        return metadata.sqlite_metadata_connection_config(
            os.path.join(pipeline_root, "metadata.sqlite"))
    try:
        host_port, database = mysql.split("/", 1)
        host, port = host_port.rsplit(":", 1)
        port = int(port)
    except ValueError as e:
        raise ValueError(f"--metadata-mysql {mysql!r}: expected HOST:PORT/DATABASE, "
                         "e.g. db:3306/mlmd") from e
    return metadata.mysql_metadata_connection_config(
        host=host, port=port, database=database,
        username=os.environ.get("MYSQL_USER", "root"),
        password=os.environ.get("MYSQL_PASSWORD", ""),
    )


def run(config: PipelineConfig, metadata_mysql: Optional[str] = None,
        **component_configs) -> None:
    """Builds and runs the pipeline locally.

    Args:
        config: pipeline-level settings.
        metadata_mysql: `HOST:PORT/DB` for a shared MySQL ML Metadata store (default SQLite).
        **component_configs: per-component configs (see `pipeline.create_components`).
    """
    if "://" not in config.pipeline_root:
        os.makedirs(config.pipeline_root, exist_ok=True)
    LocalDagRunner().run(
        pipeline_lib.create_pipeline(
            config,
            metadata_connection_config=metadata_config(config.pipeline_root, metadata_mysql),
            **component_configs,
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--pipeline-root", required=True)
    parser.add_argument("--serving-dir", default="")
    args, beam_args = parser.parse_known_args(argv)
    run(PipelineConfig(args.data, args.pipeline_root, args.serving_dir,
                       beam_pipeline_args=tuple(beam_args),
                       last_stage="push" if args.serving_dir else "evaluate"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
