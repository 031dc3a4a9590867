"""`recsys serve`: TF Serving's gRPC + REST APIs over a SavedModel base path.

    recsys serve --model_base_path /models/recsys --model_name recsys --port 8500 \
        --rest_api_port 8501

Flags are TF Serving's (`--model-base-path` style works too); see serving/README.md.
"""


def add_arguments(parser):
    from serving.server_options import add_arguments as add_server_arguments

    add_server_arguments(parser)
    parser.add_argument("--log_level", "--log-level", dest="log_level", default="INFO")


def run(args) -> int:
    import logging
    import os

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from serving.server import serve
    from serving.server_options import ServerOptions

    try:
        options = ServerOptions.from_args(args)
    except ValueError as err:
        raise SystemExit(f"recsys serve: {err}") from None
    return serve(options)
