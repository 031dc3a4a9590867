"""`recsys batch-score`: recommendations for many users with Apache Beam RunInference.

    recsys batch-score --model serving/recsys --users all --seen-from data/ml100k --k 10 \\
        --out recs.jsonl
    recsys batch-score --model out/model/Format-Serving --users users.txt --k 20 \\
        --out recs.jsonl --seen-from data/ml100k \\
        --direct_num_workers=2 --direct_running_mode=multi_processing

`--model` is a SavedModel folder, a TFX Model artifact, or a TF Serving base path (the highest
numeric version is used). `--users` is a file with one user id per line, or `all`: the model's
user vocabulary (`<SavedModel>/assets.extra/user_ids.txt`) when it ships one, else every user
of `--seen-from`. Items the user interacted with in `--seen-from` (a canonical data folder, or
an Examples artifact: its train split) are excluded unless `--no-exclude-seen` (which also
switches to the model's `recommend_include_seen` signature when it has one). Bad user ids are
written to `<out>.errors.jsonl` and counted; unknown users get the model's fallback.
Flags this command does not know are Beam pipeline options (e.g. `--runner=DataflowRunner
--project=P --region=R --temp_location=gs://b/tmp`); local runs use Beam's FnApiRunner, so
`--direct_num_workers N --direct_running_mode multi_processing` runs N worker processes.
"""

import json
import sys

PASS_THROUGH_UNKNOWN_ARGS = True
SKIP_TEARDOWN = True  # `run` returns after the output and errors files are closed.


def add_arguments(parser):
    parser.add_argument("--model", required=True,
                        help="SavedModel dir, TFX Model uri, or TF Serving base path")
    parser.add_argument("--users", required=True, help="file with one user id per line, or `all`")
    parser.add_argument("--k", type=int, default=10, help="recommendations per user")
    parser.add_argument("--out", required=True, help="output JSON-lines file")
    parser.add_argument("--errors", default=None, help="bad user ids (default <out>.errors.jsonl)")
    parser.add_argument("--seen-from", default=None,
                        help="canonical data folder or Examples uri of seen items")
    parser.add_argument("--no-exclude-seen", action="store_true",
                        help="keep items the user already saw")
    parser.add_argument("--no-agent-scores", action="store_true", help="omit per-agent scores")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="most users per model call (BatchScoreConfig.max_batch_size)")
    parser.add_argument("--beam-runner", default=None,
                        help="DirectRunner, DataflowRunner, FlinkRunner, SparkRunner ...")


def run(args) -> int:
    from components.batch_scorer.config import BatchScoreConfig
    from components.batch_scorer.scoring_job import run_batch_scoring
    from tfx_pipeline import log_filters

    beam_args = list(getattr(args, "extra_args", []) or [])
    if args.beam_runner:
        beam_args.append(f"--runner={args.beam_runner}")
    try:
        sizes = {"max_batch_size": args.batch_size} if args.batch_size else {}
        config = BatchScoreConfig(k=args.k, exclude_seen=not args.no_exclude_seen,
                                  include_agent_scores=not args.no_agent_scores, **sizes)
        with log_filters.quiet_known_noise():
            summary = run_batch_scoring(args.model, args.users, args.out, config,
                                        seen_from=args.seen_from, errors_path=args.errors,
                                        beam_args=beam_args)
    except (ValueError, FileNotFoundError) as e:
        print(f"recsys batch-score: {e}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    if summary["bad_user_ids"]:
        print(f"{summary['bad_user_ids']} bad user id(s) reported in {summary['errors']}",
              file=sys.stderr)
    return 0
