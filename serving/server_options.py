"""Flags of the model server: TF Serving's names (`--model_base_path`), dashed aliases too."""

import argparse
import dataclasses

from serving import refusal_delay, request_limits


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """Everything `ModelServer` needs; see `add_arguments` for each field's meaning."""

    port: int = 8500
    rest_api_port: int = 8501
    host: str = "127.0.0.1"
    model_name: str = "default"
    model_base_path: str = ""
    model_config_file: str = ""
    num_versions: int = 1
    file_system_poll_wait_seconds: float = 1.0
    enable_model_warmup: bool = True
    enable_batching: bool = False
    batching_parameters_file: str = ""
    grpc_max_threads: int = 16
    tensorflow_intra_op_parallelism: int = 0
    tensorflow_inter_op_parallelism: int = -1
    max_request_bytes: int = 16 << 20
    max_batch_size: int = request_limits.DEFAULT_MAX_BATCH_SIZE
    max_request_cells: int = request_limits.DEFAULT_MAX_REQUEST_CELLS
    refusal_delay_ms: float = 50.0
    request_log_dir: str = ""
    request_log_max_bytes: int = 64 << 20
    request_log_fsync: str = "rotate"
    feedback_log_dir: str = ""
    drain_seconds: float = 30.0

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "ServerOptions":
        """Options from parsed `add_arguments` flags; `ValueError` saying what is missing."""
        values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
                  if hasattr(args, f.name)}
        options = cls(**values)
        if not options.model_base_path and not options.model_config_file:
            raise ValueError("give --model_base_path (with --model_name) or --model_config_file")
        if options.model_base_path and options.model_config_file:
            raise ValueError("give either --model_base_path or --model_config_file, not both")
        # Built once here so a bad limit is a usage error before any model loads.
        request_limits.RequestLimits(options.max_batch_size, options.max_request_cells)
        refusal_delay.RefusalDelay(options.refusal_delay_ms, 1)
        return options


def _flag(parser, name, **kwargs):
    parser.add_argument(f"--{name}", f"--{name.replace('_', '-')}", dest=name, **kwargs)


def _bool(text: str) -> bool:
    if text.lower() not in ("true", "false", "1", "0"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text.lower() in ("true", "1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the server flags (TF Serving's spelling, dashed aliases accepted)."""
    d = ServerOptions()
    _flag(parser, "port", type=int, default=d.port, help="gRPC port (0 picks a free one)")
    _flag(parser, "rest_api_port", type=int, default=d.rest_api_port,
          help="REST port; 0 disables REST and metrics (TF Serving's meaning)")
    _flag(parser, "host", default=d.host,
          help="interface to bind; 0.0.0.0 for all (not a TF Serving flag)")
    _flag(parser, "model_name", default=d.model_name,
          help="name of the model served from --model_base_path")
    _flag(parser, "model_base_path", default="",
          help="folder of numeric SavedModel version folders")
    _flag(parser, "model_config_file", default="",
          help="text ModelServerConfig listing several models")
    _flag(parser, "num_versions", type=int, default=d.num_versions,
          help="versions kept by the latest policy for --model_base_path")
    _flag(parser, "file_system_poll_wait_seconds", type=float,
          default=d.file_system_poll_wait_seconds,
          help="seconds between scans for new versions (0: load once)")
    _flag(parser, "enable_model_warmup", type=_bool, default=True,
          help="replay assets.extra/tf_serving_warmup_requests (or one dummy call) before serving")
    parser.add_argument("--enable_batching", "--enable-batching", dest="enable_batching",
                        nargs="?", const=True, default=False, type=_bool,
                        help="server-side request batching")
    _flag(parser, "batching_parameters_file", default="", help="text BatchingParameters file")
    _flag(parser, "tensorflow_intra_op_parallelism", type=int,
          default=d.tensorflow_intra_op_parallelism,
          help="threads one TensorFlow op may use (0: TensorFlow picks)")
    _flag(parser, "tensorflow_inter_op_parallelism", type=int,
          default=d.tensorflow_inter_op_parallelism,
          help="threads running independent ops; -1 (this server's default) runs each "
               "request's ops in its gRPC/REST thread, 0 lets TensorFlow pick "
               "(TF Serving's default)")
    _flag(parser, "grpc_max_threads", type=int, default=d.grpc_max_threads,
          help="gRPC worker threads")
    _flag(parser, "max_request_bytes", type=int, default=d.max_request_bytes,
          help="largest gRPC message / REST body accepted")
    _flag(parser, "max_batch_size", type=int, default=d.max_batch_size,
          help="rows per Predict request; larger ones are refused with RESOURCE_EXHAUSTED "
               "(HTTP 413)")
    _flag(parser, "max_request_cells", type=int, default=d.max_request_cells,
          help="values per Predict request, summed over its inputs, and results (rows x k) it may "
               "ask for; larger ones are refused with RESOURCE_EXHAUSTED (HTTP 413)")
    _flag(parser, "refusal_delay_ms", type=float, default=d.refusal_delay_ms,
          help="hold each refusal by --max_batch_size or --max_request_cells this long (0: "
               "answer at once), so a client resending an oversized request back to back cannot "
               "hog the machine")
    _flag(parser, "request_log_dir", default="",
          help="log served recommendations here (off when empty)")
    _flag(parser, "request_log_max_bytes", type=int, default=d.request_log_max_bytes,
          help="rotate request log files at this size")
    _flag(parser, "request_log_fsync", default=d.request_log_fsync,
          choices=("rotate", "always", "never"),
          help="request log durability, see serving/request_log.py")
    _flag(parser, "feedback_log_dir", default="",
          help="accept POST /v1/feedback (clicks/ratings against a request id) into this folder")
    _flag(parser, "drain_seconds", type=float, default=d.drain_seconds,
          help="on SIGTERM, wait this long for in-flight requests")
    _flag(parser, "monitoring_config_file", default="",
          help="accepted for TF Serving compatibility; metrics are always on the REST port")
