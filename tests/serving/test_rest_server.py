"""REST API (TF Serving's JSON formats), metrics and HTTP-level errors."""

import http.client
import json
import socket

import numpy as np
import pytest

from rec_model import features as F
from tests.serving.conftest import call_reference, recommend_inputs


def _call(server, method, path, body=None, raw=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.rest_port, timeout=10)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    conn.request(method, path, body=data, headers=headers or {})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response.status, json.loads(payload)
    return response.status, payload.decode()


def test_columnar_recommend_equals_in_process_call(server, reference):
    body = {"signature_name": "recommend",
            "inputs": {"user_id": ["u0", "nobody"], "k": 4, "history": [["", ""], ["i1", "i7"]],
                       "exclude": [["i2", ""], ["", ""]]}}
    status, payload = _call(server, "POST", "/v1/models/m:predict", body)
    assert status == 200
    want = call_reference(reference, "recommend", **recommend_inputs(
        users=("u0", "nobody"), k=4, history=[["", ""], ["i1", "i7"]],
        exclude=[["i2", ""], ["", ""]]))
    out = payload["outputs"]
    assert out["item_ids"] == [[v.decode() for v in row] for row in want[F.ITEM_IDS]]
    np.testing.assert_array_equal(np.asarray(out["scores"], np.float32), want[F.SCORES])
    np.testing.assert_array_equal(np.asarray(out["agent_scores"], np.float32),
                                  want[F.AGENT_SCORES])
    assert out["agent_names"] == ["collaborative", "popularity"]
    assert len(payload["request_id"]) == 32


def test_row_format_on_batch_major_signature_and_version_path(server, reference):
    body = {"signature_name": "score", "instances": [{"user_id": "u1", "item_ids": ["i0", "i1"]},
                                                     {"user_id": "u2", "item_ids": ["i3", "i4"]}]}
    status, payload = _call(server, "POST", "/v1/models/m/versions/1:predict", body)
    assert status == 200 and len(payload["predictions"]) == 2
    want = call_reference(reference, "score", user_id=np.array([b"u1", b"u2"], object),
                          item_ids=np.array([[b"i0", b"i1"], [b"i3", b"i4"]], object))
    np.testing.assert_array_equal(np.asarray(payload["predictions"][1]["scores"], np.float32),
                                  want[F.SCORES][1])


def test_row_format_with_scalar_k_is_rejected_like_tf_serving(server):
    body = {"signature_name": "recommend",
            "instances": [{"user_id": "u1", "k": 3, "history": [""], "exclude": [""]}]}
    status, payload = _call(server, "POST", "/v1/models/m:predict", body)
    assert status == 400 and "'k' must have shape []" in payload["error"]


def test_status_and_metadata(server):
    status, payload = _call(server, "GET", "/v1/models/m")
    assert status == 200
    assert payload == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE",
         "status": {"error_code": "OK", "error_message": ""}}]}
    assert _call(server, "GET", "/v1/models/m/versions/1")[0] == 200
    status, payload = _call(server, "GET", "/v1/models/m/metadata")
    assert status == 200 and payload["model_spec"]["version"] == "1"
    inputs = payload["metadata"]["signature_def"]["signature_def"]["recommend"]["inputs"]
    assert inputs["k"]["dtype"] == "DT_INT32"


@pytest.mark.parametrize("body, words", [
    ({"signature_name": "recommend",
      "inputs": {"user_id": ["u1"], "k": "3", "history": [[""]], "exclude": [[""]]}},
     "expected a number"),
    ({"signature_name": "recommend",
      "inputs": {"user_id": ["u1"], "k": 2.5, "history": [[""]], "exclude": [[""]]}},
     "expected an integer"),
    ({"signature_name": "recommend",
      "inputs": {"user_id": ["u1"], "k": 3, "history": [[""], ["a", "b"]], "exclude": [[""]]}},
     "ragged"),
    ({"signature_name": "recommend", "inputs": {"user_id": ["u1"], "k": 3, "history": [[""]]}},
     "missing ['exclude']"),
    ({"signature_name": "recommend",
      "inputs": {"user_id": ["u1"], "k": 0, "history": [[""]], "exclude": [[""]]}},
     "k must be >= 1"),
    ({"signature_name": "recommend",
      "inputs": {"user_id": [1], "k": 1, "history": [[""]], "exclude": [[""]]}},
     "expected a JSON string"),
    ({"signature_name": "nope", "inputs": {"user_id": ["u1"]}}, "signature 'nope' not found"),
    ({"instances": [1], "inputs": [1]}, "exactly one of"),
    ({"signature_name": 3, "inputs": {}}, "signature_name must be a string"),
])
def test_bad_requests_answer_400(server, body, words):
    status, payload = _call(server, "POST", "/v1/models/m:predict", body)
    assert status == 400 and words in payload["error"]


def test_invalid_json_and_too_large_body(server):
    status, payload = _call(server, "POST", "/v1/models/m:predict", raw=b"{not json")
    assert status == 400 and "not valid JSON" in payload["error"]
    conn = http.client.HTTPConnection("127.0.0.1", server.rest_port, timeout=10)
    conn.putrequest("POST", "/v1/models/m:predict")
    conn.putheader("Content-Length", str(2 << 20))  # announced, never sent: refused before reading
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and "--max_request_bytes" in json.loads(response.read())["error"]
    conn.close()


@pytest.mark.parametrize("method, path, code", [
    ("GET", "/v1/models/other", 404),
    ("GET", "/v1/models/m/versions/7", 404),
    ("GET", "/v1/models/m/labels/stable", 404),
    ("POST", "/v1/models/m/versions/9:predict", 404),
    ("GET", "/v1/models/../../etc/passwd", 404),
    ("GET", "/v1/models/..%2F..%2Fetc%2Fpasswd", 404),
    ("GET", "/v1/models/m/versions/..%2F1", 400),
    ("POST", "/v1/models/%2e%2e:predict", 404),
    ("GET", "/etc/passwd", 404),
    ("DELETE", "/v1/models/m", 404),
    ("POST", "/v1/models/m:classify", 501),
])
def test_unknown_resources_and_path_escapes(server, method, path, code):
    status, payload = _call(server, method, path,
                            body={"inputs": [1]} if method == "POST" else None)
    assert status == code and "error" in payload


def test_a_version_of_non_ascii_digits_answers_400(server):
    # http.client refuses non-ASCII paths: a raw request. The byte 0xB2 reads as '²' (the
    # request line is latin-1), a digit to str.isdigit() that int() rejects.
    with socket.create_connection(("127.0.0.1", server.rest_port), timeout=10) as sock:
        sock.sendall(b"GET /v1/models/m/versions/\xb2 HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, body = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400"
    assert b"version must be a number" in body


def test_prometheus_metrics(server):
    _call(server, "POST", "/v1/models/m:predict",
          {"signature_name": "score", "inputs": {"user_id": ["u1"], "item_ids": [["i1"]]}})
    status, text = _call(server, "GET", "/monitoring/prometheus/metrics")
    assert status == 200
    assert ':tensorflow:serving:request_count{model_name="m",status="OK"}' in text
    assert (':tensorflow:serving:request_latency_bucket'
            '{model_name="m",API="predict",entrypoint="REST",le="+Inf"}') in text
    assert ':tensorflow:serving:model_version{model_name="m"} 1' in text
    assert "# TYPE :tensorflow:serving:request_latency histogram" in text


def test_feedback_endpoint_records_clicks_against_a_request_id(server):
    from serving.feedback_log import read_feedback

    body = {"signature_name": "recommend",
            "inputs": {"user_id": ["u0"], "k": 3, "history": [[""]], "exclude": [[""]]}}
    _, served = _call(server, "POST", "/v1/models/m:predict", body)
    item = served["outputs"]["item_ids"][0][0]
    status, payload = _call(server, "POST", "/v1/feedback",
                            {"request_id": served["request_id"], "user_id": "u0", "item_id": item})
    assert status == 200 and payload["status"] == "ok"
    records = [r for r in read_feedback(server.feedback_dir)
               if r["request_id"] == served["request_id"]]
    assert [(r["user_id"], r["item_id"], r["event"]) for r in records] == [("u0", item, "click")]

    status, payload = _call(server, "POST", "/v1/feedback", {"request_id": "r", "user_id": "u0"})
    assert status == 400 and "item_id" in payload["error"]


@pytest.mark.parametrize("inputs, words", [
    ({"user_id": ["u1"] * 5000, "k": 3, "history": [[""]] * 5000, "exclude": [[""]] * 5000},
     ["5,000 rows", "at most 1,024", "--max_batch_size"]),
    ({"user_id": ["u1"], "k": 3, "history": [[""] * 300_000], "exclude": [[""]]},
     ["300,003 values", "--max_request_cells"]),
])
def test_too_big_requests_answer_413_naming_the_flag(server, inputs, words):
    body = {"signature_name": "recommend", "inputs": inputs}  # compact: under the 1 MiB body limit
    status, payload = _call(server, "POST", "/v1/models/m:predict",
                            raw=json.dumps(body, separators=(",", ":")).encode())
    assert status == 413 and all(w in payload["error"] for w in words), payload
    rows = [{"user_id": "u1", "item_ids": ["i1"]}] * 2000  # row format: rows = instances
    status, payload = _call(server, "POST", "/v1/models/m:predict",
                            {"signature_name": "score", "instances": rows})
    assert status == 413 and "2,000 rows" in payload["error"]
    body = {"signature_name": "recommend",
            "inputs": {"user_id": ["u0"], "k": 2, "history": [[""]], "exclude": [[""]]}}
    assert _call(server, "POST", "/v1/models/m:predict", body)[0] == 200
