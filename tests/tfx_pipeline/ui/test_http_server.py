"""Tests of tfx_pipeline/ui/http_server.py: static files, API, read-only, Host check."""

import http.client
import json

import pytest

from tfx_pipeline.ui.http_server import CSP, static_file


def _request(ui, method, path, host=None):
    conn = http.client.HTTPConnection("127.0.0.1", ui.port, timeout=30)
    headers = {"Host": host} if host else {}
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_page_and_vendored_chart_library_are_served_with_a_strict_policy(ui):
    response, body = _request(ui, "GET", "/")
    assert response.status == 200 and b"/static/vendor/chart.umd.min.js" in body
    assert response.getheader("Content-Security-Policy") == CSP and "script-src 'self'" in CSP
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    response, body = _request(ui, "GET", "/static/vendor/chart.umd.min.js")
    assert response.status == 200 and body.startswith(b"/*!\n * Chart.js v4")
    assert response.getheader("Content-Type").startswith("text/javascript")
    assert _request(ui, "GET", "/favicon.ico")[0].getheader("Content-Type") == "image/svg+xml"
    response, body = _request(ui, "HEAD", "/static/app.js")
    assert response.status == 200 and body == b""


def test_api_over_http(ui):
    response, body = _request(ui, "GET", "/api/runs")
    assert response.status == 200 and response.getheader("Content-Type").startswith(
        "application/json"
    )
    assert len(json.loads(body)["runs"]) == 2
    assert _request(ui, "GET", "/api/recommend?k=x")[0].status == 400


@pytest.mark.parametrize(
    "path",
    [
        "/static/../api.py",
        "/static/%2e%2e/config.py",
        "/static/../../runs.py",
        "/etc/passwd",
        "/static/missing.js",
    ],
)
def test_nothing_outside_the_static_folder(ui, path):
    assert _request(ui, "GET", path)[0].status == 404


def test_static_file_resolution():
    assert static_file("/static/app.js").name == "app.js"
    assert static_file("/static/vendor/LICENSE.chartjs.md").name == "LICENSE.chartjs.md"
    assert static_file("/static/../__init__.py") is None


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_read_only(ui, method):
    response, _ = _request(ui, method, "/api/runs")
    assert response.status == 405 and response.getheader("Allow") == "GET, HEAD"


def test_foreign_host_header_is_refused(ui):
    """A page on another site that rebinds its name to 127.0.0.1 cannot read the app."""
    response, body = _request(ui, "GET", "/api/runs", host="attacker.example:80")
    assert response.status == 403 and "127.0.0.1" in json.loads(body)["error"]
    assert _request(ui, "GET", "/api/runs", host=f"localhost:{ui.port}")[0].status == 200
