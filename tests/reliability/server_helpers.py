"""Helpers of the serving attacks: atomic pushes, raw gRPC / HTTP calls, process memory."""

import http.client
import json
import pathlib
import shutil
import socket

import numpy as np

from rec_model import features as F

MODEL = "m"
MAX_REQUEST_BYTES = 1 << 20
N_USERS = 20  # serving.testing defaults
N_ITEMS = 50


def push_version(src, base, version, corrupt=False) -> pathlib.Path:
    """Pushes a SavedModel as components/pusher/push.py does: copy to `.tmp-<v>`, then rename.

    With `corrupt`, `saved_model.pb` is truncated to half its size before the rename.
    """
    base = pathlib.Path(base)
    tmp = base / f".tmp-{version}"
    shutil.copytree(src, tmp)
    if corrupt:
        pb = tmp / "saved_model.pb"
        data = pb.read_bytes()
        pb.write_bytes(data[: len(data) // 2])
    return tmp.rename(base / str(version))


def tensor(values, dtype=None):
    import tensorflow as tf

    return tf.make_tensor_proto(values, dtype=dtype)


def recommend_request(users=("u1",), k=5, name=MODEL):
    """A well-formed `recommend` PredictRequest."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = F.SIGNATURE_RECOMMEND
    blank = np.array([[b""]] * len(users), dtype=object)
    request.inputs[F.USER_ID].CopyFrom(tensor(np.array([u.encode() for u in users], dtype=object)))
    request.inputs[F.K].CopyFrom(tensor(k, tf.int32))
    request.inputs[F.HISTORY].CopyFrom(tensor(blank))
    request.inputs[F.EXCLUDE].CopyFrom(tensor(blank))
    return request


def stub(target):
    """(channel, PredictionService stub) that can receive large answers."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 64 << 20),
                                                     ("grpc.max_send_message_length", 64 << 20)])
    return channel, prediction_service_pb2_grpc.PredictionServiceStub(channel)


def grpc_code(call, request, timeout=60.0):
    """(status code name, response or None) of one unary call."""
    import grpc

    try:
        return "OK", call(request, timeout=timeout)
    except grpc.RpcError as err:
        return err.code().name, err.details()


def raw_http(port, request: bytes, timeout=60.0) -> tuple[int | None, dict, bytes]:
    """Sends raw request bytes, half-closes, reads to EOF.

    Returns:
        (status or None when the server answered nothing, headers, body).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer (e.g. 413) and close before reading everything
        chunks = []
        try:
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
        except OSError:
            pass
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1."):
        return None, {}, data
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        headers[key.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    length = int(headers.get("content-length", len(body)))
    return int(lines[0].split()[1]), headers, body[:length]


def http_request(method: str, path: bytes, body: bytes | None = None, headers=None) -> bytes:
    """Raw HTTP/1.1 request bytes (Content-Length from the body unless headers say otherwise)."""
    headers = dict(headers or {})
    if body is not None and "Content-Length" not in headers:
        headers["Content-Length"] = str(len(body))
    lines = [method.encode("latin-1") + b" " + path + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [f"{k}: {v}".encode("latin-1") for k, v in headers.items() if v is not None]
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def rest_json(port, method, path, obj=None, timeout=60.0):
    """(status, parsed JSON) of a well-formed REST call."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = None if obj is None else json.dumps(obj)
        conn.request(method, path, body=body,
                     headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


GOOD_REST_BODY = {"signature_name": F.SIGNATURE_RECOMMEND,
                  "inputs": {F.USER_ID: ["u1"], F.K: 3, F.HISTORY: [[""]], F.EXCLUDE: [[""]]}}


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (VmRSS in /proc/<pid>/status)."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def assert_healthy(handle):
    """The server process is alive and answers a well-formed gRPC and REST request."""
    assert handle.process.poll() is None, f"server died:\n{handle.log_tail(40)}"
    channel, s = stub(handle.grpc_target)
    with channel:
        code, response = grpc_code(s.Predict, recommend_request())
    assert code == "OK", response
    status, body = rest_json(handle.rest_port, "POST", f"/v1/models/{MODEL}:predict",
                             GOOD_REST_BODY)
    assert status == 200 and len(body["outputs"][F.ITEM_IDS][0]) == 3, body
