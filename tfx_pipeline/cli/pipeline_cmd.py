"""`recsys pipeline run|compile`: the TFX pipeline, locally or compiled for Kubeflow.

Flags the command does not know are Beam pipeline options and pass straight through,
e.g. `--runner=DataflowRunner --project=P --region=R --temp_location=gs://b/tmp`,
`--runner=FlinkRunner --flink_master=host:8081`, `--runner=SparkRunner`, or
`--direct_num_workers=2 --direct_running_mode=multi_processing`.
"""

import time

PASS_THROUGH_UNKNOWN_ARGS = True


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run with LocalDagRunner (ML Metadata on SQLite, or MySQL)")
    compile_ = sub.add_parser("compile", help="compile to a Kubeflow Pipelines v2 / Vertex AI JSON spec")
    for p in (run, compile_):
        p.add_argument("--data", required=True, help="canonical data folder (interactions.csv, items.csv)")
        p.add_argument("--pipeline-root", required=True, help="where artifacts are written")
        p.add_argument("--pipeline-name", default="recsys")
        p.add_argument("--split-mode", choices=("user_time", "random"), default="user_time")
        p.add_argument("--eval-fraction", type=float, default=0.2)
        p.add_argument("--span", type=int, default=0)
        p.add_argument("--beam-runner", default=None, help="Beam runner, e.g. DirectRunner, DataflowRunner, "
                       "FlinkRunner, SparkRunner (other Beam flags pass through)")
    run.add_argument("--serving-dir", default=None, help="where the pusher writes served models")
    run.add_argument("--workers", type=int, default=1, help="training worker processes")
    run.add_argument("--metadata-mysql", default=None, metavar="HOST:PORT/DB",
                     help="ML Metadata on MySQL (MYSQL_USER / MYSQL_PASSWORD) instead of SQLite")
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    compile_.add_argument("--target", choices=("kubeflow",), default="kubeflow")
    compile_.add_argument("--image", required=True, help="container image holding this package")
    compile_.add_argument("--out", default="pipeline.json")


def _beam_args(args):
    extra = list(getattr(args, "extra_args", []) or [])
    if args.beam_runner:
        extra.append(f"--runner={args.beam_runner}")
    return extra


def run(args) -> int:
    from components.example_gen.config import ExampleGenConfig

    config = ExampleGenConfig(split_mode=args.split_mode, eval_fraction=args.eval_fraction, span=args.span)
    if args.action == "compile":
        from tfx_pipeline import kubeflow_runner

        out = kubeflow_runner.compile_pipeline(
            args.image, args.out, args.data, args.pipeline_root, args.pipeline_name, config, _beam_args(args)
        )
        print(f"Kubeflow v2 pipeline spec written to {out}")
        return 0
    from tfx_pipeline import local_runner

    start = time.time()
    local_runner.run(
        args.data, args.pipeline_root, args.pipeline_name, config, _beam_args(args),
        metadata_mysql=args.metadata_mysql, enable_cache=not args.no_cache,
    )
    print(f"pipeline {args.pipeline_name} finished in {time.time() - start:.1f}s; artifacts under {args.pipeline_root}")
    return 0
