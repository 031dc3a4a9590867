"""`recsys ui`: a local, read-only web page over runs, agents, recommendations and feedback.

    recsys ui --pipeline-root out/demo/pipeline --server 127.0.0.1:8500 --model-name recsys
    recsys ui --pipeline-root out/simulate/pipeline          # finds ../feedback, ../request_logs
                                                              # and ../simulation.json itself

Listens on 127.0.0.1 unless --host says otherwise (the app has no login). Pages: runs from ML
Metadata, agents' weights and shares, the recommendation explorer (needs --server), and
continuous training (feedback logs, trigger decisions, simulation rounds).
"""

import sys


def add_arguments(parser):
    parser.add_argument(
        "--pipeline-root", default="", help="reads <DIR>/metadata.sqlite and trigger state"
    )
    parser.add_argument("--metadata", default="", help="an ML Metadata SQLite file instead")
    parser.add_argument(
        "--server", default="", help="HOST:PORT of the model server's gRPC port (explorer)"
    )
    parser.add_argument("--model-name", default="recsys")
    parser.add_argument(
        "--feedback-dir", default="", help="feedback logs (default: <root>/../feedback if any)"
    )
    parser.add_argument(
        "--request-log-dir",
        default="",
        help="the server's --request_log_dir (default: <root>/../request_logs if any)",
    )
    parser.add_argument(
        "--simulation",
        default="",
        help="a `recsys simulate` report (default: <root>/../simulation.json if any)",
    )
    parser.add_argument(
        "--items-csv", default="", help="titles (default: the items.csv of the latest run)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default loopback only)"
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per model server call"
    )


def config_from_args(args):
    """The UiConfig the flags describe (raises ValueError with what to fix)."""
    from tfx_pipeline.ui.config import UiConfig

    return UiConfig(
        pipeline_root=args.pipeline_root,
        metadata_path=args.metadata,
        server=args.server,
        model_name=args.model_name,
        feedback_dir=args.feedback_dir,
        request_log_dir=args.request_log_dir,
        simulation_path=args.simulation,
        items_csv=args.items_csv,
        host=args.host,
        port=args.port,
        timeout_s=args.timeout,
    )


def run(args) -> int:
    try:
        config = config_from_args(args)
    except ValueError as err:
        print(f"recsys ui: {err}")
        return 2
    from tfx_pipeline.ui.http_server import UiServer

    try:
        server = UiServer(config)
    except OSError as err:
        print(
            f"recsys ui: cannot listen on {config.host}:{config.port}: {err}; pick another --port"
        )
        return 2
    if not config.is_loopback:
        print(
            f"warning: listening on {config.host}: anyone who can reach it sees runs and "
            "recommendations (the app has no login)",
            file=sys.stderr,
        )
    sources = server.api.config
    print(f"recsys ui: {server.url}  (Ctrl-C stops)")
    print(
        f"  runs from {sources.metadata_path or sources.pipeline_root}; model server: "
        f"{sources.server or 'none (explorer off)'}; feedback: {sources.feedback_dir or 'none'}; "
        f"request logs: {sources.request_log_dir or 'none'}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
