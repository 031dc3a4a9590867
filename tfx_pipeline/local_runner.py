"""Runs the pipeline with TFX's LocalDagRunner and ML Metadata on SQLite (or MySQL)."""

import argparse
import os
import sys
from typing import List, Optional

from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from components.example_gen.config import ExampleGenConfig
from tfx_pipeline import pipeline as pipeline_lib


def metadata_config(pipeline_root: str, mysql: Optional[str] = None):
    """SQLite at `<pipeline_root>/metadata.sqlite`, or MySQL given as `HOST:PORT/DB`
    (user and password from the MYSQL_USER / MYSQL_PASSWORD environment variables)."""
    if not mysql:
        return metadata.sqlite_metadata_connection_config(os.path.join(pipeline_root, "metadata.sqlite"))
    try:
        host_port, database = mysql.split("/", 1)
        host, port = host_port.rsplit(":", 1)
        port = int(port)
    except ValueError as e:
        raise ValueError(f"--metadata-mysql {mysql!r}: expected HOST:PORT/DATABASE, e.g. db:3306/mlmd") from e
    return metadata.mysql_metadata_connection_config(
        host=host, port=port, database=database,
        username=os.environ.get("MYSQL_USER", "root"), password=os.environ.get("MYSQL_PASSWORD", ""),
    )


def run(
    data_root: str,
    pipeline_root: str,
    pipeline_name: str = pipeline_lib.DEFAULT_PIPELINE_NAME,
    example_gen_config: ExampleGenConfig = ExampleGenConfig(),
    beam_pipeline_args: Optional[List[str]] = None,
    metadata_mysql: Optional[str] = None,
    enable_cache: bool = True,
) -> None:
    """Builds and runs the pipeline locally."""
    os.makedirs(pipeline_root, exist_ok=True) if "://" not in pipeline_root else None
    LocalDagRunner().run(
        pipeline_lib.create_pipeline(
            pipeline_root=pipeline_root,
            data_root=data_root,
            pipeline_name=pipeline_name,
            example_gen_config=example_gen_config,
            beam_pipeline_args=beam_pipeline_args,
            metadata_connection_config=metadata_config(pipeline_root, metadata_mysql),
            enable_cache=enable_cache,
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--pipeline-root", required=True)
    args, beam_args = parser.parse_known_args(argv)
    run(args.data, args.pipeline_root, beam_pipeline_args=beam_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
