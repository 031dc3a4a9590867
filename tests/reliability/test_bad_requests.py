"""Fuzzing the server with bad requests (hypothesis) over gRPC and REST.

Every answer must be a clean status: gRPC OK / INVALID_ARGUMENT / NOT_FOUND /
RESOURCE_EXHAUSTED / FAILED_PRECONDITION / UNIMPLEMENTED (never UNKNOWN, INTERNAL or a
dropped call); REST 2xx or 4xx with `{"error": ...}` (501 for what is not implemented), never
another 5xx or a connection closed without an answer. After every example the server process
is alive and a well-formed request succeeds.
"""

import collections
import json
import urllib.parse

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorflow.core.framework import types_pb2

from rec_model import features as F
from tests.reliability import server_helpers as H

FAST_EXAMPLES = 150
SLOW_EXAMPLES = 1500
GRPC_OK = {"OK", "INVALID_ARGUMENT", "NOT_FOUND", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
           "UNIMPLEMENTED"}
INPUTS = [F.USER_ID, F.K, F.HISTORY, F.EXCLUDE, F.ITEM_IDS, F.EXAMPLES, "bogus"]
DTYPES = [types_pb2.DT_STRING, types_pb2.DT_INT32, types_pb2.DT_INT64, types_pb2.DT_FLOAT,
          types_pb2.DT_DOUBLE, types_pb2.DT_BOOL, types_pb2.DT_UINT8, types_pb2.DT_HALF,
          types_pb2.DT_COMPLEX64, types_pb2.DT_RESOURCE, types_pb2.DT_VARIANT, types_pb2.DT_UINT64,
          types_pb2.DT_INVALID, 999]
NAMES = ["m", "", "M", "../m", "..", "%2e%2e", "/etc/passwd", "m/../m", "m\x00", "nope"]
SIGNATURES = ["", F.SIGNATURE_RECOMMEND, F.SIGNATURE_SCORE, F.SIGNATURE_DEFAULT,
              "__saved_model_init_op", "nope"]
counts = collections.Counter()

dims = st.one_of(st.integers(0, 4), st.integers(0, 3000), st.sampled_from([2**31, 2**40, 2**62]))


@st.composite
def tensor_protos(draw):
    from tensorflow.core.framework import tensor_pb2

    proto = tensor_pb2.TensorProto(dtype=draw(st.sampled_from(DTYPES)))
    shape = draw(st.lists(dims, max_size=4) | st.just([1] * 70))
    for d in shape:
        proto.tensor_shape.dim.add(size=d)
    proto.tensor_shape.unknown_rank = (draw(st.booleans()) and draw(st.booleans())
                                       and draw(st.booleans()))
    kind = draw(st.sampled_from(["string", "int", "float", "content", "none"]))
    n = draw(st.integers(0, 8))
    if kind == "string":
        proto.string_val.extend(draw(st.lists(st.binary(max_size=12), min_size=n, max_size=n)))
    elif kind == "int":
        proto.int_val.extend(
            draw(st.lists(st.integers(-2**31, 2**31 - 1), min_size=n, max_size=n)))
    elif kind == "float":
        proto.float_val.extend(draw(st.lists(st.floats(width=32), min_size=n, max_size=n)))
    elif kind == "content":
        proto.tensor_content = draw(st.binary(max_size=64))
    return proto


@st.composite
def mutated_good(draw):
    """A well-formed recommend request with one or two things changed (reaches the model)."""
    batch = draw(st.integers(0, 3000) | st.just(1))
    width = draw(st.integers(0, 60))
    users = [f"u{i % 25}" for i in range(batch)]
    request = H.recommend_request(users or ["u1"],
                                  k=draw(st.integers(-2**31, 2**31 - 1) | st.integers(-2, 60)))
    history = np.array([[f"i{(i + j) % 55}".encode() for j in range(width)] for i in range(batch)],
                       dtype=object)
    request.inputs[F.USER_ID].CopyFrom(
        H.tensor(np.array([u.encode() for u in users], dtype=object).reshape(batch)))
    request.inputs[F.HISTORY].CopyFrom(H.tensor(history.reshape(batch, width)))
    request.inputs[F.EXCLUDE].CopyFrom(H.tensor(history.reshape(batch, width)[:, : width // 2]))
    for _ in range(draw(st.integers(0, 2))):
        action = draw(st.sampled_from(["replace", "drop", "add", "filter", "signature"]))
        if action == "replace":
            request.inputs[draw(st.sampled_from(INPUTS))].CopyFrom(draw(tensor_protos()))
        elif action == "drop":
            key = draw(st.sampled_from(sorted(request.inputs)))
            del request.inputs[key]
        elif action == "add":
            request.inputs["bogus"].CopyFrom(draw(tensor_protos()))
        elif action == "filter":
            request.output_filter.append(draw(st.sampled_from([F.ITEM_IDS, F.SCORES, "nope", ""])))
        else:
            request.model_spec.signature_name = draw(st.sampled_from(SIGNATURES))
    return request


@st.composite
def random_request(draw):
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = draw(st.sampled_from(NAMES) | st.text(max_size=12))
    request.model_spec.signature_name = draw(st.sampled_from(SIGNATURES) | st.text(max_size=12))
    choice = draw(st.integers(0, 3))
    if choice == 1:
        request.model_spec.version.value = draw(st.integers(-2**63, 2**63 - 1) | st.just(1))
    elif choice == 2:
        request.model_spec.version_label = draw(st.text(max_size=10))
    for name in draw(st.lists(st.sampled_from(INPUTS), max_size=5, unique=True)):
        request.inputs[name].CopyFrom(draw(tensor_protos()))
    return request


def _check_grpc(served, request):
    channel, stub = H.stub(served.grpc_target)
    with channel:
        code, detail = H.grpc_code(stub.Predict, request)
    counts[f"grpc {code}"] += 1
    assert code in GRPC_OK, (code, detail, str(request)[:500])
    H.assert_healthy(served)


def _fuzz_grpc(served, examples, derandomize):
    @settings(max_examples=examples, deadline=None, derandomize=derandomize, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=random_request() | mutated_good())
    def run(request):
        _check_grpc(served, request)

    run()


# ---------------------------------------------------------------- REST
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8)
    | st.sampled_from(["\ud800", "u1", "i3", ""]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(INPUTS + ["b64", "signature_name", "instances", "inputs"])
        | st.text(max_size=5),
        children, max_size=4),
    max_leaves=20)


@st.composite
def rest_bodies(draw):
    kind = draw(st.sampled_from(["json", "mutated", "bytes", "nested", "feedback"]))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "mutated":
        body = json.loads(json.dumps(H.GOOD_REST_BODY))
        where = draw(st.sampled_from(["inputs", "signature_name", "instances", "input"]))
        if where == "inputs":
            body["inputs"][draw(st.sampled_from(INPUTS))] = draw(json_values)
        else:
            body[where] = draw(json_values)
        return json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "nested":
        depth = draw(st.integers(1, 100_000))
        return b'{"inputs": ' + b"[" * depth + b"]" * depth + b"}"
    payload = {"request_id": "r1", "user_id": "u1", "item_id": "i1"}
    payload[draw(st.sampled_from(list(payload) + ["event", "value", "time", "x"]))] = (
        draw(json_values))
    return json.dumps(payload).encode("utf-8", "surrogatepass")


path_parts = st.sampled_from(["m", "..", "%2e%2e", "..%2f..", "%2F", "M", "", "m%00", "\u00e4",
                              "1", "-1", "99999999999999999999999", "stable", "/etc/passwd"])


@st.composite
def rest_paths(draw):
    if draw(st.booleans()):
        return b"/v1/models/m:predict"
    # any text, percent-encoded so the request line stays HTTP/1.1
    if draw(st.integers(0, 5)) == 0:
        return b"/" + urllib.parse.quote(draw(st.text(max_size=30)), safe="/%?:=&.").encode()
    path = "/v1/models/" + draw(
        path_parts | st.text(max_size=8).map(lambda t: urllib.parse.quote(t, safe="")))
    selector = draw(st.sampled_from(["", "/versions/", "/labels/"]))
    if selector:
        path += selector + draw(path_parts)
    path += draw(st.sampled_from(["", ":predict", "/metadata", ":classify", ":regress", ":nope",
                                  "?a=b"]))
    if draw(st.integers(0, 6)) == 0:
        path = draw(st.sampled_from(["/v1/feedback", "/monitoring/prometheus/metrics", "/", "*"]))
    return path.encode("utf-8", "surrogatepass").replace(b" ", b"%20")


@st.composite
def rest_requests(draw):
    method = draw(st.sampled_from(["POST"] * 4 + ["GET", "PUT", "DELETE", "FOO"]))
    body = draw(rest_bodies()) if method != "GET" or draw(st.booleans()) else None
    headers = {}
    length = draw(
        st.sampled_from(["exact"] * 6 + ["missing", "negative", "text", "huge", "short"]))
    if body is not None:
        headers["Content-Length"] = {"exact": str(len(body)), "missing": None, "negative": "-5",
                                     "text": "ten", "huge": str(H.MAX_REQUEST_BYTES + 1),
                                     "short": str(len(body) // 2)}[length]
    if draw(st.integers(0, 10)) == 0:
        headers["Transfer-Encoding"] = "chunked"
    return H.http_request(method, draw(rest_paths()), body, headers)


def _check_rest(served, raw):
    status, headers, body = H.raw_http(served.rest_port, raw)
    counts[f"rest {status}"] += 1
    assert status is not None, f"no answer to {raw[:300]!r}"
    assert status < 500 or status == 501, (status, body[:300], raw[:300])
    if status >= 400:
        assert isinstance(json.loads(body).get("error"), str), body[:300]
    H.assert_healthy(served)


def _fuzz_rest(served, examples, derandomize):
    @settings(max_examples=examples, deadline=None, derandomize=derandomize, database=None,
              suppress_health_check=list(HealthCheck))
    @given(raw=rest_requests())
    def run(raw):
        _check_rest(served, raw)

    run()


def test_fuzz_grpc_requests_get_clean_errors(served):
    _fuzz_grpc(served, FAST_EXAMPLES, derandomize=True)
    print(f"\n{dict(sorted(counts.items()))}")


def test_fuzz_rest_requests_get_clean_errors(served):
    _fuzz_rest(served, FAST_EXAMPLES, derandomize=True)
    print(f"\n{dict(sorted(counts.items()))}")


@pytest.mark.slow
def test_fuzz_grpc_and_rest_random_seed_long_run(served):
    _fuzz_grpc(served, SLOW_EXAMPLES, derandomize=False)
    _fuzz_rest(served, SLOW_EXAMPLES, derandomize=False)
    print(f"\n{dict(sorted(counts.items()))}")


def test_named_attacks_get_the_expected_status(served):
    """Hand-picked cases of each attack kind, with the exact status each must get."""
    from tensorflow.core.framework import tensor_pb2

    def with_input(name, proto, request=None):
        request = request or H.recommend_request()
        request.inputs[name].CopyFrom(proto)
        return request

    huge_fill = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"u1"])
    huge_fill.tensor_shape.dim.add(size=2**40)
    empty_huge = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING)
    for size in (2**31, 2**62, 0):
        empty_huge.tensor_shape.dim.add(size=size)
    odd_dtype = tensor_pb2.TensorProto(dtype=999)
    k64 = H.tensor(5, np.int64)
    cases = {
        "unknown model": (H.recommend_request(name="nope"), "NOT_FOUND"),
        # 1 row x k results over --max_request_cells: refused before the model checks k.
        "huge k": (with_input(F.K, H.tensor(2**31 - 1, np.int32)), "RESOURCE_EXHAUSTED"),
        "k over the catalogue": (with_input(F.K, H.tensor(H.N_ITEMS + 1, np.int32)),
                                 "INVALID_ARGUMENT"),
        "negative k": (with_input(F.K, H.tensor(-1, np.int32)), "INVALID_ARGUMENT"),
        "k as int64": (with_input(F.K, k64), "INVALID_ARGUMENT"),
        "k as a vector": (with_input(F.K, H.tensor([5], np.int32)), "INVALID_ARGUMENT"),
        "2^40 users from one value": (with_input(F.USER_ID, huge_fill), "RESOURCE_EXHAUSTED"),
        "empty [2^31, 2^62, 0] tensor": (with_input("bogus", empty_huge), "RESOURCE_EXHAUSTED"),
        "unknown dtype enum": (with_input(F.K, odd_dtype), "INVALID_ARGUMENT"),
        "message over the limit": (
            with_input(F.USER_ID,
                       H.tensor(np.array([b"x" * H.MAX_REQUEST_BYTES], dtype=object))),
            "RESOURCE_EXHAUSTED"),
    }
    channel, stub = H.stub(served.grpc_target)
    with channel:
        got = {name: H.grpc_code(stub.Predict, request)[0] for name, (request, _) in cases.items()}
    assert got == {name: code for name, (_, code) in cases.items()}
    rest = {
        "deep JSON": (b'{"inputs": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400),
        "non-ASCII base64": (json.dumps({"inputs": {F.USER_ID: [{"b64": "\u00e4"}]}}).encode(),
                             400),
        "lone surrogate": (b'{"signature_name": "recommend", "inputs": '
                           b'{"user_id": ["\\ud800"], "k": 1, '
                           b'"history": [[""]], "exclude": [[""]]}}', 400),
        "malformed JSON": (b'{"inputs": [', 400),
        "lists 71 deep": (b'{"inputs": ' + b"[" * 71 + b"]" * 71 + b"}", 400),
    }
    got = {name: H.raw_http(served.rest_port,
                            H.http_request("POST", b"/v1/models/m:predict", body))[0]
           for name, (body, _) in rest.items()}
    got["feedback lone surrogate"] = H.raw_http(served.rest_port, H.http_request(
        "POST", b"/v1/feedback", b'{"request_id": "\\ud800", "user_id": "u", "item_id": "i"}'))[0]
    got["unknown method"] = H.raw_http(served.rest_port, H.http_request("FOO", b"/v1/models/m"))[0]
    got["URI over 64 KiB"] = H.raw_http(
        served.rest_port, H.http_request("GET", b"/v1/models/m?" + b"a" * 70000))[0]
    assert got == {**{name: status for name, (_, status) in rest.items()},
                   "feedback lone surrogate": 400, "unknown method": 501, "URI over 64 KiB": 414}
    H.assert_healthy(served)
