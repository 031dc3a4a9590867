"""`recsys simulate`: closed loop of serving, simulated clicks, feedback, retraining and
hot swap.

Users of a synthetic world (hidden topic preferences from `recsys data synth`) are served by the
live model; they click with a probability that grows with their hidden affinity to the item's
topic; clicks go through the server's feedback endpoint log; the continuous-training trigger
turns them into a new span, the pipeline warm-starts, evaluates against the live model and
pushes; the server hot-swaps. The click-through rate per round is reported and plotted.
"""

import os


def add_arguments(parser):
    from tfx_pipeline.simulation.closed_loop import SimulationConfig  # no TensorFlow

    world = SimulationConfig()  # the defaults live there, with why they were chosen
    parser.add_argument("--rounds", type=int, default=world.rounds)
    parser.add_argument("--users", type=int, default=world.users_per_round,
                        help="users served per round")
    parser.add_argument("--k", type=int, default=world.k)
    parser.add_argument("--catalogue-users", type=int, default=world.catalogue_users)
    parser.add_argument("--catalogue-items", type=int, default=world.catalogue_items)
    parser.add_argument("--initial-interactions", type=int, default=world.initial_interactions)
    parser.add_argument("--epochs", type=int, default=10, help="training epochs per pipeline run")
    parser.add_argument("--seed", type=int, default=world.seed)
    parser.add_argument("--work-dir", default="out/simulate")


def pipeline_runner(epochs: int, model_name: str):
    """`(data_dir, pipeline_root, serving_dir, span) -> None` running the local pipeline to
    push."""
    import dataclasses

    from components.example_gen.config import ExampleGenConfig
    from rec_model.config import ModelConfig
    from tfx_pipeline import local_runner
    from tfx_pipeline.config import PipelineConfig

    def run_pipeline(data_dir, pipeline_root, serving_dir, span):
        config = PipelineConfig(data_dir, pipeline_root, serving_dir, model_name=model_name,
                                pretrain="off")
        # Random split: with a time split the newest interactions (the clicks on the live model's
        # own recommendations) would all land in eval, so the candidate could not learn from them
        # while the evaluator rewarded the live model for having shown them (exposure bias).
        local_runner.run(config,
                         example_gen_config=ExampleGenConfig(split_mode="random", span=span),
                         model_config=dataclasses.replace(ModelConfig(), epochs=epochs))

    return run_pipeline


def run(args) -> int:
    from serving.client import RecommendClient
    from serving.launcher import start_model_server
    from tfx_pipeline import log_filters
    from tfx_pipeline.continuous.trigger import ContinuousTrigger, TriggerPolicy
    from tfx_pipeline.simulation import closed_loop

    config = closed_loop.SimulationConfig(
        rounds=args.rounds, users_per_round=args.users, k=args.k,
        catalogue_users=args.catalogue_users, catalogue_items=args.catalogue_items,
        initial_interactions=args.initial_interactions, seed=args.seed)
    run_pipeline = pipeline_runner(args.epochs, closed_loop.MODEL_NAME)

    def start_server(base_path, request_log_dir, feedback_dir):
        return start_model_server(base_path, closed_loop.MODEL_NAME, binary="python", extra_flags=(
            f"--request_log_dir={request_log_dir}", f"--feedback_log_dir={feedback_dir}",
            "--request_log_fsync=always", "--file_system_poll_wait_seconds=1"))

    def trigger_factory(loop):
        return ContinuousTrigger(
            loop.feedback_dir, loop.request_log_dir, loop.data_dir, loop.pipeline_root,
            policy=TriggerPolicy(min_new_interactions=1),
            run_pipeline=lambda data, root, span: run_pipeline(data, root, loop.serving_dir, span))

    loop = closed_loop.ClosedLoop(args.work_dir, config, run_pipeline, start_server,
                                  lambda target: RecommendClient(target, closed_loop.MODEL_NAME))
    with log_filters.quiet_known_noise():
        report = loop.run(trigger_factory)
    paths = closed_loop.write_report(report, args.work_dir)
    print("CTR per round: " + ", ".join(f"{c:.4f}" for c in report["ctr"]))
    print(f"rose over the rounds: {report['ctr_rose']}; "
          f"report {paths['json']}, plot {paths['png']}")
    return 0 if report["ctr_rose"] else 1
