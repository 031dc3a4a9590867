"""`recsys pipeline run|compile`: the TFX pipeline, locally or compiled for Kubeflow.

Flags the command does not know are Beam pipeline options and pass straight through,
e.g. `--runner=DataflowRunner --project=P --region=R --temp_location=gs://b/tmp`,
`--runner=FlinkRunner --flink_master=host:8081`, `--runner=SparkRunner`, or
`--direct_num_workers=2 --direct_running_mode=multi_processing`.
"""

import sys
import time

PASS_THROUGH_UNKNOWN_ARGS = True
STAGES = ("transform", "embed", "train", "evaluate", "push")  # mirrors tfx_pipeline.config.STAGES


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run with LocalDagRunner (ML Metadata on SQLite, or MySQL)")
    compile_ = sub.add_parser("compile",
                              help="compile to a Kubeflow Pipelines v2 / Vertex AI JSON spec")
    for p in (run, compile_):
        p.add_argument("--data", required=True,
                       help="canonical data folder (interactions.csv, items.csv)")
        p.add_argument("--pipeline-root", required=True, help="where artifacts are written")
        p.add_argument("--serving-dir", default="",
                       help="the pusher's destination (model server's root)")
        p.add_argument("--pipeline-name", default="recsys")
        p.add_argument("--model-name", default="recsys")
        p.add_argument("--until", choices=STAGES, default=None,
                       help="last stage to run (default: push with --serving-dir, else evaluate)")
        p.add_argument("--split-mode", choices=("user_time", "random"), default="user_time")
        p.add_argument("--eval-fraction", type=float, default=0.2)
        p.add_argument("--span", type=int, default=0)
        p.add_argument("--pretrain", choices=("auto", "on", "off"), default="auto",
                       help="MLM domain pre-training of the backbone "
                            "(auto: catalogues up to 5,000 items)")
        p.add_argument("--pretrain-epochs", type=int, default=None)
        p.add_argument("--backbone", default=None,
                       help="keras-hub BERT preset name or local preset folder "
                       "(default: the bundled all-MiniLM-L6-v2)")
        p.add_argument("--allow-download", action="store_true",
                       help="let a keras-hub preset that is not cached be downloaded "
                            "(online users)")
        p.add_argument("--epochs", type=int, default=None,
                       help="training epochs of the multi-agent model")
        p.add_argument("--workers", type=int, default=1,
                       help="training worker processes (MultiWorkerMirroredStrategy)")
        p.add_argument("--no-warm-start", action="store_true",
                       help="train from scratch even when a model exists")
        p.add_argument("--eval-users", type=int, default=None,
                       help="users the evaluator scores: a seeded sample of this many (0 = all; "
                            "default 10,000); metrics come with 95%% intervals")
        p.add_argument("--beam-runner", default=None,
                       help="Beam runner, e.g. DirectRunner, DataflowRunner, "
                       "FlinkRunner, SparkRunner (other Beam flags pass through)")
    run.add_argument("--metadata-mysql", default=None, metavar="HOST:PORT/DB",
                     help="ML Metadata on MySQL (MYSQL_USER / MYSQL_PASSWORD) instead of SQLite")
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    compile_.add_argument("--target", choices=("kubeflow",), default="kubeflow")
    compile_.add_argument("--image", required=True, help="container image holding this package")
    compile_.add_argument("--out", default="pipeline.json")
    compile_.add_argument("--launcher", choices=("local", "tfjob", "vertex"), default="local",
                          help="who starts the --workers training replicas: local processes in "
                          "the trainer's pod, a Kubeflow TFJob, or a Vertex AI CustomJob (these "
                          "two need the pipeline root on gs:// or other shared storage)")
    compile_.add_argument("--launcher-config", default=None, metavar="FILE.json",
                          help="fields of TFJobConfig / VertexJobConfig for the chosen launcher "
                          "(components/trainer/tfjob_config.py, vertex_config.py)")
    compile_.add_argument("--tfjob-namespace", default=None, help="namespace of the TFJob")
    compile_.add_argument("--replica-service-account", default=None,
                          help="service account the training replicas run as")
    compile_.add_argument("--vertex-project", default=None, help="project of the CustomJob")
    compile_.add_argument("--vertex-region", default=None, help="region of the CustomJob")
    compile_.add_argument("--vertex-machine-type", default=None,
                          help="machine type of every Vertex AI replica")


def _beam_args(args):
    extra = list(getattr(args, "extra_args", []) or [])
    if args.beam_runner:
        extra.append(f"--runner={args.beam_runner}")
    return tuple(extra)


def build_configs(args):
    """(PipelineConfig, component configs) from the parsed flags."""
    import dataclasses

    from components.domain_pretrainer.config import PretrainerConfig
    from components.evaluator.config import EvaluatorConfig
    from components.example_gen.config import ExampleGenConfig
    from components.text_embedder.config import EmbedderConfig
    from components.trainer.config import TrainerConfig
    from rec_model.config import ModelConfig
    from tfx_pipeline.config import PipelineConfig

    config = PipelineConfig(
        data_root=args.data,
        pipeline_root=args.pipeline_root,
        serving_dir=args.serving_dir,
        pipeline_name=args.pipeline_name,
        model_name=args.model_name,
        pretrain=args.pretrain,
        warm_start=not args.no_warm_start,
        beam_pipeline_args=_beam_args(args),
        enable_cache=not getattr(args, "no_cache", False),
        last_stage=args.until or ("push" if args.serving_dir else "evaluate"),
    )
    # Progress on the long steps: bars on a terminal, one line per epoch in logs.
    verbose = 1 if sys.stdout.isatty() else 2
    pretrainer = PretrainerConfig(backbone=args.backbone, allow_download=args.allow_download,
                                  verbose=verbose)
    if args.pretrain_epochs is not None:
        pretrainer = dataclasses.replace(pretrainer, epochs=args.pretrain_epochs)
    model = (ModelConfig() if args.epochs is None
             else dataclasses.replace(ModelConfig(), epochs=args.epochs))
    components = dict(
        example_gen_config=ExampleGenConfig(split_mode=args.split_mode,
                                            eval_fraction=args.eval_fraction, span=args.span),
        embedder_config=EmbedderConfig(backbone=args.backbone, allow_download=args.allow_download),
        pretrainer_config=pretrainer,
        model_config=model,
        trainer_config=TrainerConfig(workers=args.workers, verbose=verbose,
                                     **_launcher_fields(args)),
    )
    if args.eval_users is not None:
        components["evaluator_config"] = EvaluatorConfig(max_users=args.eval_users)
    return config, components


def _launcher_fields(args) -> dict:
    """TrainerConfig's launcher fields from the compile flags ({} for the local launcher)."""
    import json

    from components.trainer.tfjob_config import TFJobConfig
    from components.trainer.vertex_config import VertexJobConfig

    launcher = getattr(args, "launcher", "local")
    if launcher == "local":
        return {}
    fields = {}
    if args.launcher_config:
        with open(args.launcher_config, encoding="utf-8") as f:
            fields = json.load(f)
    flags = {"image": args.image, "service_account": args.replica_service_account}
    if launcher == "tfjob":
        flags["namespace"] = args.tfjob_namespace
    else:
        flags.update(project=args.vertex_project, location=args.vertex_region,
                     machine_type=args.vertex_machine_type)
    # A flag wins over the file, except that an image named in the file wins over --image.
    if fields.get("image"):
        flags.pop("image")
    fields.update({k: v for k, v in flags.items() if v})
    settings = (TFJobConfig if launcher == "tfjob" else VertexJobConfig).from_dict(fields)
    return {"launcher": launcher, launcher: settings}


def run(args) -> int:
    config, components = build_configs(args)
    if args.action == "compile":
        from tfx_pipeline import kubeflow_runner

        try:
            out = kubeflow_runner.compile_pipeline(args.image, args.out, config, **components)
        except ValueError as err:  # e.g. a cluster launcher with a local pipeline root
            print(f"recsys pipeline compile: {err}", file=sys.stderr)
            return 2
        print(f"Kubeflow v2 pipeline spec written to {out}")
        return 0
    from tfx_pipeline import local_runner
    from tfx_pipeline.progress import report_progress
    from tfx_pipeline.run_outcome import failure_message, push_outcome

    start = time.time()
    progress = report_progress()
    try:
        with progress:
            local_runner.run(config, metadata_mysql=args.metadata_mysql, **components)
    except Exception as err:  # pylint: disable=broad-except  # TFX re-raises a component's error.
        print(failure_message(config.pipeline_name, progress.handler.running, time.time() - start,
                              err, config.pipeline_root), file=sys.stderr, flush=True)
        return 1
    print(f"pipeline {config.pipeline_name} finished in {time.time() - start:.1f}s; "
          f"artifacts under {config.pipeline_root}\n"
          f"  details: recsys runs show latest --pipeline-root {config.pipeline_root}")
    latest = _latest_run(config.pipeline_root, args.metadata_mysql)
    _print_summary(latest)
    print(push_outcome(latest, config.serving_dir, config.last_stage))
    return 0


def _latest_run(pipeline_root: str, metadata_mysql):
    """The latest run as `runs.MetadataReader.show` gives it, or None when unreadable."""
    import os

    from tfx_pipeline.local_runner import metadata_config
    from tfx_pipeline.runs import MetadataReader

    if not metadata_mysql and not os.path.exists(os.path.join(pipeline_root, "metadata.sqlite")):
        return None
    try:
        return MetadataReader(metadata_config(pipeline_root, metadata_mysql)).show("latest")
    except Exception:  # pylint: disable=broad-except  # The summary is a courtesy.
        return None


def _print_summary(run) -> None:
    """Key counts and decisions of the latest run, read back from ML Metadata."""
    keys = ("rows_read", "rows_train", "rows_eval", "rows_quarantined", "item_count",
            "held_out_loss_before", "held_out_loss_after", "model_ndcg_at_10", "users_evaluated",
            "users_total", "blessing_message", "validation_message", "push_message")
    for component in (run or {}).get("components", []):
        facts = {}
        for art in component.get("outputs", []):
            facts.update({k: v for k, v in art.get("properties", {}).items() if k in keys})
        if facts:
            print(f"  {component['node_id']}: " + ", ".join(f"{k}={v}" for k, v in facts.items()))
