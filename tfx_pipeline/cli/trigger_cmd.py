"""`recsys trigger once|watch`: continuous training from served-request and feedback logs.

    recsys trigger once --feedback-dir logs/feedback --request-log-dir logs/requests \\
        --data data/ml100k --pipeline-root out/pipeline --min-new-interactions 500 --min-ctr 0.02
    recsys trigger watch ... --interval 300

`once` suits cron and Kubeflow recurring runs (exit code 0 when nothing was due or the run
succeeded, 1 when the run failed and will be retried, 3 when another trigger holds the lock);
`watch` checks every `--interval` seconds. See tfx_pipeline/continuous/trigger.py for the rules.
Flags this command does not know are Beam pipeline options for the pipeline run.
"""

import json
import logging

PASS_THROUGH_UNKNOWN_ARGS = True


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", required=True)
    once = sub.add_parser("once", help="decide once and run the pipeline when due")
    watch = sub.add_parser("watch", help="decide every --interval seconds")
    watch.add_argument("--interval", type=float, default=300.0, help="seconds between checks")
    watch.add_argument("--max-iterations", type=int, default=None,
                       help="stop after this many checks")
    for p in (once, watch):
        p.add_argument("--feedback-dir", required=True,
                       help="feedback logs (recsys feedback / POST /v1/feedback)")
        p.add_argument("--request-log-dir", required=True, help="the server's --request_log_dir")
        p.add_argument("--data", required=True,
                       help="canonical data folder; new spans are added here")
        p.add_argument("--pipeline-root", required=True)
        p.add_argument("--min-new-interactions", type=int, default=1000,
                       help="0 disables the rule")
        p.add_argument("--schedule-hours", type=float, default=None,
                       help="retrain at least this often")
        p.add_argument("--min-ctr", type=float, default=None,
                       help="retrain when click-through falls below")
        p.add_argument("--min-served-for-ctr", type=int, default=100)
        p.add_argument("--serving-dir", default=None, help="where the pusher writes served models")
        p.add_argument("--model-name", default="recsys")
        p.add_argument("--until", default=None,
                       help="last pipeline stage (default: push with --serving-dir, "
                       "else evaluate)")
        p.add_argument("--beam-runner", default=None)


def _policy(args):
    from tfx_pipeline.continuous.trigger import TriggerPolicy

    return TriggerPolicy(min_new_interactions=args.min_new_interactions or None,
                         schedule_hours=args.schedule_hours,
                         min_ctr=args.min_ctr, min_served_for_ctr=args.min_served_for_ctr)


def _run_pipeline(args):
    from tfx_pipeline.continuous.trigger import make_local_run_pipeline

    beam_args = list(getattr(args, "extra_args", []) or [])
    if args.beam_runner:
        beam_args.append(f"--runner={args.beam_runner}")
    return make_local_run_pipeline(serving_dir=args.serving_dir or "", last_stage=args.until,
                                   beam_pipeline_args=beam_args, model_name=args.model_name)


def _print(result) -> None:
    print(json.dumps(result, sort_keys=True), flush=True)


def run(args) -> int:
    from tfx_pipeline.continuous.trigger import ContinuousTrigger

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        trigger = ContinuousTrigger(args.feedback_dir, args.request_log_dir, args.data,
                                    args.pipeline_root,
                                    _policy(args), _run_pipeline(args))
    except ValueError as e:
        print(f"recsys trigger: {e}")
        return 2
    if args.action == "watch":
        trigger.watch(args.interval, args.max_iterations, on_result=_print)
        return 0
    result = trigger.once()
    _print(result)
    if result["busy"]:
        return 3
    return 1 if result["succeeded"] is False else 0
