"""The model server: `python -m serving` / `recsys serve` with TF Serving's flags.

    python -m serving --model_base_path=/models/recsys --model_name=recsys --port=8500 \
        --rest_api_port=8501

Binds 127.0.0.1 unless `--host` says otherwise. SIGTERM / SIGINT stop it gracefully: both
front ends stop accepting, requests in flight finish (up to `--drain_seconds`), then the
pollers, batcher and request log are closed.
"""

import argparse
import logging
import os
import signal
import sys
import threading

from serving import quiet_tensorflow
from serving.server_options import ServerOptions, add_arguments

log = logging.getLogger(__name__)


class ModelServer:
    """gRPC + REST front ends over one `ServerCore`.

    Args:
        options: ServerOptions.
        request_logger: optional custom request logger (see serving/request_log.py).

    Attributes:
        grpc_port, rest_port: the bound ports (after `start`); rest_port is None when disabled.
    """

    def __init__(self, options: ServerOptions, request_logger=None):
        from serving.server_core import ServerCore

        self.options = options
        self.core = ServerCore(options, request_logger)
        self.grpc_port = self.rest_port = None
        self._grpc = self._rest = None
        self._stopped = threading.Event()

    def start(self) -> "ModelServer":
        """Loads the models, then opens the ports; returns self."""
        from serving.grpc_service import start_grpc_server
        from serving.rest_server import RestServer

        self.core.start()
        o = self.options
        try:
            self._grpc, self.grpc_port = start_grpc_server(self.core, o.host, o.port,
                                                           o.grpc_max_threads, o.max_request_bytes)
            if o.rest_api_port:
                self._rest = RestServer(self.core, o.host, o.rest_api_port,
                                        o.max_request_bytes).start()
                self.rest_port = self._rest.port
        except OSError:
            self.stop(grace=0)
            raise
        log.info("serving %s on gRPC %s:%s, REST %s", sorted(self.core.managers), o.host,
                 self.grpc_port, self.rest_port or "off")
        return self

    def stop(self, grace: float = None):
        """Graceful stop: no new requests, in-flight ones finish within `grace` seconds."""
        if self._stopped.is_set():
            return
        grace = self.options.drain_seconds if grace is None else grace
        done = self._grpc.stop(grace) if self._grpc else None
        if self._rest:
            self._rest.stop()
        if done is not None:
            done.wait(grace)
        self.core.stop()
        self._stopped.set()
        log.info("server stopped")

    def wait(self):
        """Blocks until `stop` has finished."""
        while not self._stopped.wait(0.5):
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop(grace=5)


def serve(options: ServerOptions) -> int:
    """Runs a server until SIGTERM / SIGINT; returns the exit code."""
    server = ModelServer(options).start()
    stop_requested = threading.Event()

    def on_signal(signum, frame):
        log.info("signal %d: draining and stopping", signum)
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"READY grpc={server.grpc_port} rest={server.rest_port or 0} pid={os.getpid()}",
          flush=True)
    while not stop_requested.wait(0.5):
        pass
    server.stop()
    return 0


def main(argv=None) -> int:
    """Entry point of `python -m serving`."""
    parser = argparse.ArgumentParser(prog="python -m serving",
                                     description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--log_level", "--log-level", dest="log_level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    quiet_tensorflow.install()
    try:
        options = ServerOptions.from_args(args)
    except ValueError as err:
        parser.error(str(err))
    return serve(options)


if __name__ == "__main__":
    sys.exit(main())
