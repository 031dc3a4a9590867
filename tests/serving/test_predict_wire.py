"""predict_wire.peek: what protobuf would parse, read off the wire without the values."""

import grpc
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf.internal.encoder import _VarintBytes
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import model_pb2, predict_pb2

from rec_model import features as F
from serving.grpc_service import PREDICT_METHOD
from serving.predict_wire import peek
from serving.request_limits import proto_shape
from serving.tensors import to_proto
from tests.serving.conftest import recommend_inputs


def _field(number, payload: bytes) -> bytes:
    """One length-delimited protobuf field."""
    return _VarintBytes(number << 3 | 2) + _VarintBytes(len(payload)) + payload


def _request(inputs, **spec):
    request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(**{"name": "m", **spec}))
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(value)
    return request


def _values_then_shape(n_rows):
    """user_id TensorProto bytes with 2 values first and a [n_rows] shape after them (legal
    protobuf, written by no serializer): protobuf merges the two parts into one tensor."""
    values = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"u1", b"u2"])
    shape = tensor_pb2.TensorProto()
    shape.tensor_shape.dim.add(size=n_rows)
    return values.SerializeToString() + shape.SerializeToString()


def test_peek_reads_what_protobuf_parses():
    inputs = {k: to_proto(v) for k, v in recommend_inputs(users=("u0", "u1", "u2"), k=4).items()}
    inputs["made_by_tf"] = tf.make_tensor_proto(np.zeros((2, 0, 5), np.float32))
    inputs["scalar_by_tf"] = tf.make_tensor_proto(7)
    request = _request(inputs, signature_name="recommend", version_label="stable")
    request.output_filter.extend([F.ITEM_IDS, "é"])
    got = peek(request.SerializeToString())
    assert got.model_spec == request.model_spec and got.output_filter == (F.ITEM_IDS, "é")
    assert got.shapes == {k: proto_shape(v) for k, v in request.inputs.items()}
    assert got.shapes[F.HISTORY] == (3, 1) and got.shapes[F.K] == ()
    assert got.shapes["made_by_tf"] == (2, 0, 5)


def test_peek_follows_protobuf_merge_and_last_key_rules():
    first = _request({"x": to_proto(np.zeros(3, np.int32))}, name="a")
    second = _request({"x": to_proto(np.zeros(5, np.int32))}, signature_name="s")
    raw = first.SerializeToString() + second.SerializeToString()  # parsed as one, merged
    parsed, got = predict_pb2.PredictRequest.FromString(raw), peek(raw)
    assert got.model_spec == parsed.model_spec and got.shapes == {"x": (5,)} == {
        k: proto_shape(v) for k, v in parsed.inputs.items()}


@pytest.mark.parametrize("raw", [b"\xff\xff\xff", b"\x0a\x05ab", b"\x0b\x0c", b"\x12\x02\xff\xfe",
                                 _field(3, b"\xff"), _field(2, _field(1, b"k") + _field(1, b"k"))])
def test_peek_leaves_anything_unusual_to_protobuf(raw):
    assert peek(raw) is None  # malformed, truncated, a group, bad UTF-8, a repeated map key


def test_values_before_the_shape_still_meet_the_limit(server):
    entry = _field(1, F.USER_ID.encode()) + _field(2, _values_then_shape(200_000))
    spec = model_pb2.ModelSpec(name="m", signature_name="recommend").SerializeToString()
    raw = _field(1, spec) + _field(2, entry)
    for key, value in recommend_inputs(users=("u1", "u2")).items():
        if key != F.USER_ID:
            tensor = to_proto(value).SerializeToString()
            raw += _field(2, _field(1, key.encode()) + _field(2, tensor))
    assert peek(raw).shapes[F.USER_ID] == ()  # the wire reader sees a scalar ...
    parsed = predict_pb2.PredictRequest.FromString(raw)
    assert proto_shape(parsed.inputs[F.USER_ID]) == (200_000,)  # ... protobuf 200,000 rows
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        call = channel.unary_unary(PREDICT_METHOD)  # bytes in, bytes out
        with pytest.raises(grpc.RpcError) as info:
            call(raw)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "200,000 rows" in info.value.details()
        with pytest.raises(grpc.RpcError) as info:
            call(b"\xff\xff\xff")
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "not a PredictRequest" in info.value.details()
