"""numpy <-> TensorProto and TF Serving's REST JSON rules."""

import base64

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving import json_codec
from serving.errors import Code, ServingError
from serving.tensors import from_proto, to_proto


@pytest.mark.parametrize("value", [
    np.arange(6, dtype=np.float32).reshape(2, 3), np.int32(7), np.array([1, -2], np.int64),
    np.array([True, False]), np.array([[b"a", b"\xff"]], object), np.zeros((2, 0), np.float32),
])
def test_tensor_proto_round_trip(value):
    back = from_proto(to_proto(value))
    assert back.shape == np.shape(value) and back.dtype == (
        object if back.dtype == object else np.asarray(value).dtype)
    np.testing.assert_array_equal(back, value)


def test_tensor_proto_typed_values_and_errors():
    proto = to_proto(np.array([1.5], np.float32))
    proto.ClearField("tensor_content")
    proto.float_val.append(2.5)
    np.testing.assert_array_equal(from_proto(proto), [2.5])
    proto.tensor_shape.dim[0].size = 3
    np.testing.assert_array_equal(from_proto(proto), [2.5, 2.5, 2.5])  # TensorProto's fill rule
    proto.float_val.append(1.0)
    with pytest.raises(ServingError, match="needs 3"):
        from_proto(proto, "x")
    proto.dtype = types_pb2.DT_HALF
    with pytest.raises(ServingError, match="DT_HALF is not supported"):
        from_proto(proto)


@pytest.mark.parametrize("dtype,value", [(types_pb2.DT_UINT8, -1), (types_pb2.DT_UINT8, 256),
                                         (types_pb2.DT_INT8, 200)])
def test_tensor_proto_value_out_of_its_dtype_range_is_invalid_argument(dtype, value):
    from tensorflow.core.framework import tensor_pb2

    proto = tensor_pb2.TensorProto(dtype=dtype)  # a scalar, as the fuzzer sent it
    proto.int_val.append(value)
    with pytest.raises(ServingError, match="'user_id': a value does not fit") as err:
        from_proto(proto, "user_id")
    assert err.value.code == Code.INVALID_ARGUMENT


DTYPES = {"s": types_pb2.DT_STRING, "n": types_pb2.DT_INT32, "f": types_pb2.DT_FLOAT}


def test_columnar_and_row_decoding():
    inputs, fmt = json_codec.decode_inputs(
        {"inputs": {"s": [["a", {"b64": base64.b64encode(b"\x00").decode()}]], "n": 3}}, DTYPES)
    assert (fmt == "columnar" and inputs["s"].tolist() == [[b"a", b"\x00"]]
            and inputs["n"].dtype == np.int32)
    inputs, fmt = json_codec.decode_inputs(
        {"instances": [{"s": "a", "f": 1}, {"s": "b", "f": 2.5}]}, DTYPES)
    assert fmt == "row" and inputs["f"].tolist() == [1.0, 2.5] and inputs["f"].dtype == np.float32
    inputs, _ = json_codec.decode_inputs({"instances": [[1.0, 2.0]]}, {"f": types_pb2.DT_FLOAT})
    assert inputs["f"].shape == (1, 2)


@pytest.mark.parametrize("body, words", [
    ({"inputs": {"n": [1, True]}}, "expected a number"),
    ({"inputs": {"n": [1, 2.5]}}, "expected an integer"),
    ({"inputs": {"s": [["a"], "b"]}}, "ragged"),
    ({"inputs": {"s": [{"b64": "!!"}]}}, "invalid base64"),
    ({"inputs": {"zz": 1}}, "not in the signature"),
    ({"instances": [{"s": "a"}, {"n": 1}]}, "same input names"),
    ({"instances": []}, "non-empty list"),
    ({"inputs": {"n": 2 ** 40}}, "overflows"),
    ({}, "exactly one of"),
])
def test_bad_json_inputs(body, words):
    with pytest.raises(ServingError) as info:
        json_codec.decode_inputs(body, DTYPES)
    assert info.value.code == Code.INVALID_ARGUMENT and words in info.value.message


def test_output_encoding():
    outputs = {"ids": np.array([[b"x", b"y"]], object), "raw_bytes": np.array([b"\x01"], object),
               "score": np.array([0.5], np.float32)}
    assert json_codec.encode_outputs(outputs, "columnar") == {
        "outputs": {"ids": [["x", "y"]], "raw_bytes": [{"b64": "AQ=="}], "score": [0.5]}}
    assert json_codec.encode_outputs(outputs, "row")["predictions"] == [
        {"ids": ["x", "y"], "raw_bytes": {"b64": "AQ=="}, "score": 0.5}]
    assert json_codec.encode_outputs({"score": np.array([1.0, 2.0])}, "row") == {
        "predictions": [1.0, 2.0]}
    with pytest.raises(ServingError, match="inconsistent batch size"):
        json_codec.encode_outputs({"a": np.zeros((1, 3)), "names": np.array([b"p", b"q"], object)},
                                  "row")
    assert json_codec.parse_body(b'{"inputs": NaN}') == {
        "inputs": pytest.approx(float("nan"), nan_ok=True)}
    with pytest.raises(ServingError, match="JSON object"):
        json_codec.parse_body(b"[1]")


def test_to_proto_encodes_str_and_bytes_arrays_alike():
    from serving.tensors import to_proto

    as_str, as_bytes = (to_proto(np.array([["a", "é"]])),
                        to_proto(np.array([[b"a", "é".encode()]], object)))
    assert as_str == as_bytes and list(as_str.string_val) == [b"a", "é".encode()]
    assert [d.size for d in as_str.tensor_shape.dim] == [1, 2]
