"""Security: loopback binding, no path escape from the model base path, no unsafe
deserialisation in the package sources, request size limits."""

import ast
import ipaddress
import json
import pathlib

import numpy as np
import pytest

from rec_model import features as F
from tests.reliability import server_helpers as H

REPO = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("rec_model", "serving", "components", "tfx_pipeline")


def test_server_listens_on_loopback_only(served):
    import psutil

    listening = [c for c in psutil.Process(served.process.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert {c.laddr.port for c in listening} == {served.grpc_port, served.rest_port}
    for conn in listening:  # gRPC listens on an IPv6 socket bound to ::ffff:127.0.0.1
        address = ipaddress.ip_address(conn.laddr.ip)
        assert (getattr(address, "ipv4_mapped", None) or address).is_loopback, conn


def test_loopback_is_the_default_of_every_entry_point():
    import argparse

    from serving.server_options import ServerOptions, add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert ServerOptions().host == "127.0.0.1"
    assert parser.parse_args(["--model_base_path=/m"]).host == "127.0.0.1"


ESCAPES = ["..", "../secret", "..%2fsecret", "%2e%2e%2fsecret", "%2e%2e", "%252e%252e%252fsecret",
           "m%2f..%2f..%2fsecret", "..%5csecret", "%2fetc%2fpasswd"]


def test_rest_urls_cannot_leave_the_model_base_path(served):
    paths = []
    for name in ESCAPES + [str(served.secret).replace("/", "%2f")]:
        paths += [f"/v1/models/{name}", f"/v1/models/{name}/metadata",
                  f"/v1/models/{name}/versions/1"]
    for version in ["..", "%2e%2e", "1%2f..%2f..%2f..%2fsecret%2f1", "-1", "0x1", "1e3", "%31"]:
        paths += [f"/v1/models/m/versions/{version}", f"/v1/models/m/versions/{version}/metadata"]
    paths += ["/v1/models/m/../../secret", "/v1/models//etc/passwd", "/../../secret/1",
              "/v1/models/m/labels/..%2f1"]
    answers = {}
    for path in paths:
        for method, body in (("GET", None), ("POST", json.dumps(H.GOOD_REST_BODY).encode())):
            target = path if method == "GET" or path.endswith("metadata") else path + ":predict"
            status, _, raw = H.raw_http(served.rest_port,
                                        H.http_request(method, target.encode(), body))
            answers[(method, target)] = status
            assert status in (400, 404), (method, target, status, raw[:200])
            assert "error" in json.loads(raw)
    assert str(served.secret) not in served.log_tail(2000)


def test_grpc_model_specs_cannot_leave_the_model_base_path(served):
    from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

    names = ESCAPES + ["../secret".replace("%2f", "/"), str(served.secret),
                       str(served.secret / "1"), str(served.base), "m/../m", "m/1",
                       "m\x00../secret", "/"]
    channel, stub = H.stub(served.grpc_target)
    with channel:
        status_stub = model_service_pb2_grpc.ModelServiceStub(channel)
        for name in names:
            assert H.grpc_code(stub.Predict,
                               H.recommend_request(name=name))[0] == "NOT_FOUND", name
            request = get_model_status_pb2.GetModelStatusRequest()
            request.model_spec.name = name
            assert H.grpc_code(status_stub.GetModelStatus, request)[0] == "NOT_FOUND", name
        for label in ["..", "../secret", str(served.secret)]:
            request = H.recommend_request()
            request.model_spec.version_label = label
            assert H.grpc_code(stub.Predict, request)[0] == "NOT_FOUND", label
        for version in [-1, 0, 2, 2**62]:
            request = H.recommend_request()
            request.model_spec.version.value = version
            assert H.grpc_code(stub.Predict, request)[0] == "NOT_FOUND", version
    assert str(served.secret) not in served.log_tail(2000)
    H.assert_healthy(served)


# ---------------------------------------------------------------- unsafe deserialisation
def _unsafe_calls(tree: ast.AST) -> list[str]:
    """`pickle.load(s)`, `np.load` without `allow_pickle=False`, `eval`, `exec`, `yaml.load`
    without a safe loader, `marshal`/`shelve`/`dill`/`cloudpickle`/`joblib` loads, Keras
    `safe_mode=False`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""])
            for module in modules:
                if module.split(".")[0] in ("pickle", "cPickle", "dill", "cloudpickle", "shelve",
                                            "marshal", "joblib"):
                    found.append(f"line {node.lineno}: import {module}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (func.id if isinstance(func, ast.Name)
                else func.attr if isinstance(func, ast.Attribute) else "")
        owner = (func.value.id
                 if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else "")
        kwargs = {k.arg: k.value for k in node.keywords}
        if isinstance(func, ast.Name) and name in ("eval", "exec", "__import__"):
            found.append(f"line {node.lineno}: {name}(")
        elif owner in ("np", "numpy") and name == "load":
            flag = kwargs.get("allow_pickle")
            if not (isinstance(flag, ast.Constant) and flag.value is False):
                found.append(f"line {node.lineno}: np.load without allow_pickle=False")
        elif owner == "yaml" and name in ("load", "load_all", "unsafe_load", "full_load"):
            loader = kwargs.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
            if name != "load" or not (isinstance(loader, ast.Attribute) and "Safe" in loader.attr):
                found.append(f"line {node.lineno}: yaml.{name} without SafeLoader")
        elif name in ("load", "loads") and owner in ("pickle", "marshal", "dill", "cloudpickle",
                                                     "joblib"):
            found.append(f"line {node.lineno}: {owner}.{name}")
        if (isinstance(kwargs.get("safe_mode"), ast.Constant)
                and kwargs["safe_mode"].value is False):
            found.append(f"line {node.lineno}: safe_mode=False")
    return found


def test_scanner_catches_each_unsafe_pattern():
    source = ("import pickle\nimport numpy as np\nimport yaml\npickle.loads(b)\nnp.load(f)\n"
              "np.load(f, allow_pickle=True)\neval(s)\nexec(s)\nyaml.load(s)\n"
              "m.load_model(p, safe_mode=False)\n"
              "np.load(f, allow_pickle=False)\nyaml.load(s, Loader=yaml.SafeLoader)\n"
              "model.evaluate(x)\n")
    lines = sorted(int(hit.split(":")[0].split()[1]) for hit in _unsafe_calls(ast.parse(source)))
    assert lines == [1, 4, 5, 6, 7, 8, 9, 10]  # not the safe calls on lines 11-13


def test_package_sources_never_unpickle_or_eval():
    files = [p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))]
    assert len(files) > 50
    found = {}
    for path in files:
        hits = _unsafe_calls(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if hits:
            found[str(path.relative_to(REPO))] = hits
    assert not found, f"unsafe deserialisation / eval in package sources: {found}"


# ---------------------------------------------------------------- size limits
def test_rest_body_over_the_limit_is_413(served):
    # Headers announce the size; the server must refuse before reading (or buffering) the body.
    request = H.http_request("POST", b"/v1/models/m:predict", b"",
                             {"Content-Length": str(H.MAX_REQUEST_BYTES + 1)})
    status, _, body = H.raw_http(served.rest_port, request)
    assert status == 413 and "max_request_bytes" in json.loads(body)["error"]
    # A body just under the limit is read and parsed (then refused as a bad request, not 413).
    filler = b'{"inputs": "' + b"x" * (H.MAX_REQUEST_BYTES - 100) + b'"}'
    status, _, _ = H.raw_http(served.rest_port,
                              H.http_request("POST", b"/v1/models/m:predict", filler))
    assert status == 400
    H.assert_healthy(served)


@pytest.mark.parametrize("size", [H.MAX_REQUEST_BYTES + 1, 8 * H.MAX_REQUEST_BYTES])
def test_grpc_message_over_the_limit_is_resource_exhausted(served, size):
    request = H.recommend_request()
    request.inputs[F.USER_ID].CopyFrom(H.tensor(np.array([b"u" * size], dtype=object)))
    channel, stub = H.stub(served.grpc_target)
    with channel:
        code, detail = H.grpc_code(stub.Predict, request)
    assert code == "RESOURCE_EXHAUSTED", detail
    H.assert_healthy(served)
