"""Entry point of the `recsys` console script.

Sub-commands live in their own modules under `tfx_pipeline.cli` and are imported
lazily, so `recsys --help` answers without importing TensorFlow. Each module
defines `add_arguments(parser)` and `run(args) -> int`; a module that sets
`PASS_THROUGH_UNKNOWN_ARGS = True` gets unrecognised flags as `args.extra_args`; one that
sets `SKIP_TEARDOWN = True` ends the `recsys` process without the interpreter's teardown
(`console_main`).
"""

import argparse
import importlib
import logging
import os
import sys
import types
from typing import Optional, Tuple

from serving import quiet_tensorflow

# name -> (module, one-line help). Keep sorted by how a user meets them.
COMMANDS = {
    "data": ("tfx_pipeline.cli.data_cmd",
             "prepare, validate, download or synthesise a canonical data folder"),
    "embed": ("tfx_pipeline.cli.embed_cmd",
              "embed items.csv with a BERT backbone (optionally MLM-adapted first)"),
    "pipeline": ("tfx_pipeline.cli.pipeline_cmd",
                 "run the TFX pipeline locally or compile it for Kubeflow"),
    "train": ("tfx_pipeline.cli.train_cmd",
              "train the multi-agent model outside a pipeline (single or multi-worker)"),
    "bench": ("tfx_pipeline.cli.bench_cmd",
              "quality and speed benchmarks (results under bench/results/)"),
    "serve": ("tfx_pipeline.cli.serve_cmd",
              "serve SavedModels over TF Serving's gRPC and REST APIs"),
    "serving-config": ("tfx_pipeline.cli.serving_config_cmd",
                       "write TF Serving models.config and batching config"),
    "recommend": ("tfx_pipeline.cli.recommend_cmd", "ask a running server for recommendations"),
    "batch-score": ("tfx_pipeline.cli.batch_score_cmd",
                    "score users in bulk with Apache Beam RunInference"),
    "feedback": ("tfx_pipeline.cli.feedback_cmd",
                 "record clicks/ratings against a served request id"),
    "trigger": ("tfx_pipeline.cli.trigger_cmd", "continuous-training triggers (watch / once)"),
    "simulate": ("tfx_pipeline.cli.simulate_cmd",
                 "closed-loop simulation: serve, click, retrain, hot swap"),
    "runs": ("tfx_pipeline.cli.runs_cmd", "list and show pipeline runs from ML Metadata"),
    "ui": ("tfx_pipeline.cli.ui_cmd", "local web page: runs, agents, explained recommendations"),
}


def _available(name: str) -> bool:
    module, _ = COMMANDS[name]
    return importlib.util.find_spec(module) is not None


def build_parser() -> argparse.ArgumentParser:
    """Top-level parser listing every available sub-command."""
    lines = [f"  {name:<15} {help_}" for name, (_, help_) in COMMANDS.items() if _available(name)]
    return argparse.ArgumentParser(
        prog="recsys",
        description="Large model + multi-agent recommendation on TensorFlow, TFX and Beam.",
        epilog=("commands:\n" + "\n".join(lines)
                + "\n\nRun `recsys COMMAND --help` for a command's flags."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="recsys [-h] COMMAND ...",
    )


def main(argv=None) -> int:
    """Runs one `recsys` command (`argv` defaults to `sys.argv[1:]`); returns its exit code."""
    return _run_command(argv)[0]


def _run_command(argv) -> Tuple[int, Optional[types.ModuleType]]:
    """`main`, also returning the command's module (None when no command ran)."""
    # TFRS needs Keras 2 (tf-keras); it must be chosen before TensorFlow is first imported.
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    quiet_tensorflow.install()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return (0 if argv else 2), None
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS or not _available(name):
        parser.error(f"unknown command {name!r}; run `recsys --help` for the list")
    module = importlib.import_module(COMMANDS[name][0])
    sub = argparse.ArgumentParser(prog=f"recsys {name}", description=COMMANDS[name][1])
    module.add_arguments(sub)
    if getattr(module, "PASS_THROUGH_UNKNOWN_ARGS", False):
        # Beam flags (--runner, --project, --direct_num_workers, ...) pass straight through.
        args, args.extra_args = sub.parse_known_args(rest)
    else:
        args = sub.parse_args(rest)
    return int(module.run(args) or 0), module


def console_main() -> None:
    """The `recsys` console script: `main`, then the process ends with its exit code.

    A command module that sets `SKIP_TEARDOWN = True` (its `run` has closed every file it
    wrote by the time it returns) ends with `os._exit` instead of the interpreter's teardown,
    which with TensorFlow and a SavedModel loaded took 0.6-1 s on this project's 2-core
    machines: about a tenth of scoring 20,000 users. `main` itself never exits, so code that
    calls it in process (tests, notebooks) keeps running.
    """
    code, module = _run_command(None)
    if getattr(module, "SKIP_TEARDOWN", False):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # pylint: disable=protected-access
    sys.exit(code)


if __name__ == "__main__":
    console_main()
