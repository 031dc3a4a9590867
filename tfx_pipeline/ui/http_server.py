"""The HTTP server of `recsys ui` (standard library): the page, its static files and the API.

Read-only by construction: GET and HEAD only (anything else is 405). The page is served with
a Content-Security-Policy that allows scripts from this origin only, so even a catalogue
title that slipped past `textContent` could not run. On a loopback address the `Host`
header must name loopback too: a web page elsewhere cannot read the app through DNS
rebinding.
"""

import http.server
import logging
import pathlib
import socket
import threading
import urllib.parse
from typing import Optional

from tfx_pipeline.ui.api import Api, to_json
from tfx_pipeline.ui.config import UiConfig

STATIC_DIR = pathlib.Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".md": "text/plain; charset=utf-8",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
log = logging.getLogger(__name__)


def static_file(url_path: str) -> Optional[pathlib.Path]:
    """The file under STATIC_DIR that `/static/<name>` names, or None (never outside it)."""
    relative = urllib.parse.unquote(url_path[len("/static/") :])
    candidate = (STATIC_DIR / relative).resolve()
    if (
        STATIC_DIR not in candidate.parents
        or not candidate.is_file()
        or candidate.suffix not in CONTENT_TYPES
    ):
        return None
    return candidate


class _PageHandler(http.server.BaseHTTPRequestHandler):
    server_version = "recsys-ui"
    api: Api = None  # set per server by UiServer
    allowed_hosts: Optional[set] = None  # None: any Host header (the app was bound off loopback)

    def log_message(self, format, *args):  # noqa: A002  (BaseHTTPRequestHandler's signature)
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload) -> None:
        self._send(status, to_json(payload), "application/json; charset=utf-8")

    def do_GET(self):  # noqa: N802  (http.server's naming)
        if (
            self.allowed_hosts is not None
            and self.headers.get("Host", "") not in self.allowed_hosts
        ):
            return self._json(
                403, {"error": "this app answers requests for 127.0.0.1 / localhost only"}
            )
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/api/"):
            try:
                status, payload = self.api.handle(self.path)
            # One failing page must not stop the app: any error becomes a 500 with its message.
            except Exception as err:  # pylint: disable=broad-except
                log.exception("ui: %s failed", self.path)
                status, payload = 500, {"error": f"{type(err).__name__}: {err}"}
            return self._json(status, payload)
        if path in ("/", "/index.html"):
            path = "/static/index.html"
        elif path == "/favicon.ico":
            path = "/static/favicon.svg"
        found = static_file(path) if path.startswith("/static/") else None
        if found is None:
            return self._json(404, {"error": f"no page {path!r}; open /"})
        self._send(200, found.read_bytes(), CONTENT_TYPES[found.suffix], cache="no-cache")

    do_HEAD = do_GET  # noqa: N815

    def _read_only(self):
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _read_only  # noqa: N815


class UiServer:
    """Binds the app; `serve_forever()` in the foreground or `start()` in a thread.

    Args:
        config: address and data sources.
        api: the Api to serve (default: one built from `config`).
    """

    def __init__(self, config: UiConfig, api: Optional[Api] = None):
        self.config = config
        self.api = api or Api(config)
        handler = type("Handler", (_PageHandler,), {"api": self.api, "allowed_hosts": None})
        server_class = http.server.ThreadingHTTPServer
        if ":" in config.host:
            server_class = type(
                "Server6", (http.server.ThreadingHTTPServer,), {"address_family": socket.AF_INET6}
            )
        self.httpd = server_class((config.host, config.port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        if config.is_loopback:
            handler.allowed_hosts = {f"{h}:{self.port}" for h in LOOPBACK_HOSTS} | set(
                LOOPBACK_HOSTS
            )
        self._thread: Optional[threading.Thread] = None
        self._served = False  # shutdown() waits for a serve_forever() that must have run.

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        self._served = True
        self.httpd.serve_forever()

    def start(self) -> "UiServer":
        self._served = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="recsys-ui", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._served:
            self.httpd.shutdown()
        self.httpd.server_close()
        if self.api.client is not None and hasattr(self.api.client, "close"):
            self.api.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
