"""TF Serving's REST API on the standard library's threading HTTP server.

    GET  /v1/models/NAME[/versions/V | /labels/L]            model status
    GET  /v1/models/NAME[/versions/V | /labels/L]/metadata   signature defs
    POST /v1/models/NAME[/versions/V | /labels/L]:predict    {"instances": ...} | {"inputs": ...}
    GET  /monitoring/prometheus/metrics                       Prometheus text format
    POST /v1/feedback                                         {"request_id", "user_id", "item_id",
                                                              "event", ...}
                                                              (with --feedback_log_dir)

Errors answer `{"error": "..."}` with 400 / 404 / 413 / 501. Model names are looked up in
the served set, never joined to a path, so no URL reaches outside the model base path.
On `stop()`, idle keep-alive connections are closed and requests in flight finish.
"""

import http.server
import json
import logging
import re
import select
import threading

from google.protobuf import json_format

from serving import json_codec
from serving.errors import Code, ServingError
from serving.request_limits import json_shape

log = logging.getLogger(__name__)
_ROUTE = re.compile(r"^/v1/models/(?P<name>[^/:]+)"
                    r"(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
                    r"(?P<verb>/metadata|:predict|:classify|:regress)?$")
METRICS_PATH = "/monitoring/prometheus/metrics"
FEEDBACK_PATH = "/v1/feedback"


class _RestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "recsys-model-server"

    def log_message(self, fmt, *args):  # route access logs to logging at debug level
        log.debug("%s " + fmt, self.address_string(), *args)

    def handle_one_request(self):
        while not self.server.closing:  # wait for a request, giving up when the server stops
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable:
                return super().handle_one_request()
        self.close_connection = True

    def _send(self, status: int, body: bytes, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.server.closing:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj):
        self._send(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"))

    def _error(self, err: ServingError):
        self._json(err.code.http, {"error": err.message})

    def send_error(self, code, message=None, explain=None):
        """http.server's own errors (bad request line, 414, unknown method) as `{"error": ...}`."""
        self.close_connection = True
        try:
            self._json(code, {"error": message or self.responses.get(code, ("error",))[0]})
        except OSError:
            pass

    def _internal(self):
        """Last resort for a bug: log it and answer 500 instead of dropping the connection."""
        log.exception("REST %s %s failed", self.command, self.path[:200])
        self.close_connection = True
        try:
            self._error(ServingError(Code.INTERNAL, "internal error; see the server log"))
        except OSError:  # the client is gone (or the answer was already half sent)
            pass

    def _route(self):
        path = self.path.split("?", 1)[0]
        match = _ROUTE.match(path)
        if not match:
            raise ServingError(Code.NOT_FOUND, f"no such resource {path[:200]!r}; "
                               "see serving/README.md for the API")
        version = match["version"]
        if version is not None and not (version.isascii() and version.isdigit()):
            raise ServingError(Code.INVALID_ARGUMENT,
                               f"version must be a number, got {version[:40]!r}")
        return match["name"], int(version) if version else None, match["label"], match["verb"]

    def do_GET(self):  # noqa: N802
        try:
            if self.path.split("?", 1)[0] == METRICS_PATH:
                self._send(200, self.server.core.metrics.render().encode(),
                           "text/plain; version=0.0.4")
                return
            name, version, label, verb = self._route()
            if verb not in (None, "/metadata"):
                raise ServingError(Code.NOT_FOUND, f"use POST for {verb}")
            manager = self.server.core.manager(name)
            if verb == "/metadata":
                servable = manager.resolve(version, label)
                self._json(200, {"model_spec": {"name": name, "signature_name": "",
                                                "version": str(servable.version)},
                                 "metadata": {"signature_def": json_format.MessageToDict(
                                     servable.signature_def_map(),
                                     preserving_proto_field_name=True)}})
                return
            if label:
                version = manager.resolve(None, label).version
            rows = [{"version": str(v), "state": state,
                     "status": {"error_code": code, "error_message": msg}}
                    for v, state, code, msg in manager.status(version)]
            self._json(200, {"model_version_status": rows})
        except ServingError as err:
            self._error(err)
        except Exception:  # noqa: BLE001 - see _internal
            self._internal()

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ServingError(Code.INVALID_ARGUMENT,
                               "chunked bodies are not supported; send Content-Length")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise ServingError(Code.INVALID_ARGUMENT,
                               "a POST needs a Content-Length header") from None
        if length < 0 or length > self.server.max_body:
            self.close_connection = True  # the unread body must not be parsed as a request
            raise ServingError(Code.RESOURCE_EXHAUSTED,
                               f"request body of {length} bytes exceeds the limit of "
                               f"{self.server.max_body} (--max_request_bytes)")
        return self.rfile.read(length)

    def _feedback(self, raw: bytes):
        from serving.feedback_log import FeedbackError, record_feedback

        log = self.server.core.feedback_log
        if log is None:
            raise ServingError(Code.NOT_FOUND,
                               "feedback is off; start the server with --feedback_log_dir DIR")
        body = json_codec.parse_body(raw)
        try:
            self._json(200, record_feedback(log, body))
        except FeedbackError as e:
            raise ServingError(Code.INVALID_ARGUMENT, str(e)) from None

    def do_POST(self):  # noqa: N802
        try:
            raw = self._body()
            if self.path.split("?", 1)[0] == FEEDBACK_PATH:
                self._feedback(raw)
                return
            name, version, label, verb = self._route()
            if verb in (":classify", ":regress"):
                raise ServingError(Code.UNIMPLEMENTED,
                                   f"{verb[1:]} is not implemented; use :predict")
            if verb != ":predict":
                raise ServingError(Code.NOT_FOUND, "POST to /v1/models/NAME[/versions/V]:predict")
            body = json_codec.parse_body(raw)
            selected = []  # (columns, format): sized by `shapes`, converted by `decode`

            def shapes(servable, signature):
                selected.append(json_codec.select_inputs(body, servable.input_dtypes(signature)))
                return {k: json_shape(v) for k, v in selected[0][0].items()}

            def decode(servable, signature):
                return json_codec.to_arrays(selected[0][0], servable.input_dtypes(signature))

            signature = body.get("signature_name", "")
            if not isinstance(signature, str):
                raise ServingError(Code.INVALID_ARGUMENT, "signature_name must be a string")
            _, _, outputs, request_id = self.server.core.predict(
                name, version, label, signature, shapes, decode, (), "REST")
            response = json_codec.encode_outputs(outputs, selected[0][1])
            if request_id:
                response["request_id"] = request_id
            self._json(200, response)
        except ServingError as err:
            self._error(err)
        except Exception:  # noqa: BLE001 - see _internal
            self._internal()

    def do_PUT(self):  # noqa: N802
        self._error(ServingError(Code.NOT_FOUND, "only GET and POST are served"))

    do_DELETE = do_PATCH = do_PUT


class RestServer(http.server.ThreadingHTTPServer):
    """The REST front end; `serve_forever` runs in a thread started by `start`.

    Args:
        core: ServerCore.
        host, port: where to listen (port 0 picks a free one; see `.port`).
        max_body: largest accepted request body in bytes.
    """

    daemon_threads = False  # server_close() joins handler threads: in-flight requests finish

    def __init__(self, core, host: str, port: int, max_body: int):
        self.core, self.max_body, self.closing = core, max_body, False
        super().__init__((host, port), _RestHandler)
        self.port = self.server_address[1]
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, name="rest", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops accepting, lets in-flight requests finish, closes idle connections."""
        self.closing = True
        self.shutdown()
        self.server_close()
