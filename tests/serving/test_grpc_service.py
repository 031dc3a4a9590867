"""gRPC PredictionService / ModelService against the stand-in model."""

import grpc
import numpy as np
import pytest
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2,
                                     model_service_pb2_grpc, predict_pb2,
                                     prediction_service_pb2_grpc)

from rec_model import features as F
from serving.request_log import read_request_log
from serving.tensors import from_proto, to_proto
from tests.serving.conftest import call_reference, recommend_inputs


@pytest.fixture(scope="module")
def stubs(server):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    yield (prediction_service_pb2_grpc.PredictionServiceStub(channel),
           model_service_pb2_grpc.ModelServiceStub(channel))
    channel.close()


def _request(inputs, signature="recommend", name="m", version=None):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(to_proto(value))
    return request


def test_recommend_equals_in_process_call(stubs, reference):
    inputs = recommend_inputs(users=("u0", "nobody", "nobody"), k=7,
                              history=[["", ""], ["i1", "i2"], ["", ""]],
                              exclude=[["i3", ""], ["", ""], ["", ""]])
    response = stubs[0].Predict(_request(inputs))
    got = {k: from_proto(v) for k, v in response.outputs.items()}
    want = call_reference(reference, "recommend", **inputs)
    assert set(got) == {F.ITEM_IDS, F.SCORES, F.AGENT_SCORES, F.AGENT_NAMES}
    np.testing.assert_array_equal(got[F.ITEM_IDS], want[F.ITEM_IDS])
    np.testing.assert_array_equal(got[F.SCORES], want[F.SCORES])
    np.testing.assert_array_equal(got[F.AGENT_SCORES], want[F.AGENT_SCORES])
    assert got[F.AGENT_SCORES].shape == (3, 7, 2)
    assert b"i3" not in got[F.ITEM_IDS][0]
    assert (response.model_spec.version.value == 1
            and response.model_spec.signature_name == "recommend")


def test_score_and_serving_default(stubs, reference):
    import tensorflow as tf

    inputs = {F.USER_ID: np.array([b"u1"], object),
              F.ITEM_IDS: np.array([[b"i0", b"i9", b"zz"]], object)}
    got = from_proto(stubs[0].Predict(_request(inputs, "score")).outputs[F.SCORES])
    np.testing.assert_array_equal(got, call_reference(reference, "score", **inputs)[F.SCORES])
    example = tf.train.Example(features=tf.train.Features(feature={
        F.USER_ID: tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[b"u2"]))})).SerializeToString()
    response = stubs[0].Predict(_request({F.EXAMPLES: np.array([example], object)}, signature=""))
    assert response.model_spec.signature_name == "serving_default"
    assert from_proto(response.outputs[F.ITEM_IDS]).shape == (1, F.DEFAULT_SERVING_K)


def test_output_filter(stubs):
    request = _request(recommend_inputs())
    request.output_filter.append(F.ITEM_IDS)
    assert list(stubs[0].Predict(request).outputs) == [F.ITEM_IDS]


def test_request_id_in_trailing_metadata_and_log(stubs, server):
    _, call = stubs[0].Predict.with_call(_request(recommend_inputs(users=("u5",), k=3)))
    request_id = dict(call.trailing_metadata())["x-request-id"]
    records = {r["request_id"]: r for r in read_request_log(server.log_dir)}
    assert (records[request_id]["user_ids"] == ["u5"]
            and len(records[request_id]["item_ids"][0]) == 3)
    assert records[request_id]["model"] == "m" and records[request_id]["version"] == 1


def test_metadata_and_status(stubs):
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "m"
    response = stubs[0].GetModelMetadata(request)
    sigs = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(sigs)
    assert {"recommend", "score", "serving_default"} <= set(sigs.signature_def)
    assert set(sigs.signature_def["recommend"].inputs) == {F.USER_ID, F.K, F.HISTORY, F.EXCLUDE}
    status = stubs[1].GetModelStatus(
        get_model_status_pb2.GetModelStatusRequest(model_spec={"name": "m"}))
    assert [(s.version, s.state) for s in status.model_version_status] == [
        (1, get_model_status_pb2.ModelVersionStatus.AVAILABLE)]


def _code(stub_call, request):
    with pytest.raises(grpc.RpcError) as info:
        stub_call(request)
    return info.value.code(), info.value.details()


@pytest.mark.parametrize("mutate, code, words", [
    (lambda i: i.update({F.K: np.int64(5)}), grpc.StatusCode.INVALID_ARGUMENT, "DT_INT32"),
    (lambda i: i.update({F.K: np.array([5], np.int32)}), grpc.StatusCode.INVALID_ARGUMENT,
     "shape []"),
    (lambda i: i.pop(F.HISTORY), grpc.StatusCode.INVALID_ARGUMENT, "missing ['history']"),
    (lambda i: i.update({"bogus": np.int32(1)}), grpc.StatusCode.INVALID_ARGUMENT,
     "unexpected ['bogus']"),
    (lambda i: i.update({F.K: np.int32(0)}), grpc.StatusCode.INVALID_ARGUMENT, "k must be >= 1"),
    (lambda i: i.update({F.K: np.int32(51)}), grpc.StatusCode.INVALID_ARGUMENT,
     "catalogue size (50)"),
])
def test_bad_inputs_are_invalid_argument(stubs, mutate, code, words):
    inputs = recommend_inputs()
    mutate(inputs)
    got, details = _code(stubs[0].Predict, _request(inputs))
    assert got == code and words in details


@pytest.mark.parametrize("kwargs, code", [
    ({"signature": "nope"}, grpc.StatusCode.INVALID_ARGUMENT),
    ({"name": "other"}, grpc.StatusCode.NOT_FOUND),
    ({"name": "../m"}, grpc.StatusCode.NOT_FOUND),
    ({"name": "/etc/passwd"}, grpc.StatusCode.NOT_FOUND),
    ({"version": 9}, grpc.StatusCode.NOT_FOUND),
])
def test_unknown_model_version_signature(stubs, kwargs, code):
    assert _code(stubs[0].Predict, _request(recommend_inputs(), **kwargs))[0] == code


def test_malformed_tensor_proto_and_server_stays_up(stubs):
    request = _request(recommend_inputs())
    request.inputs[F.USER_ID].tensor_shape.dim[0].size = 5  # 2 values for 5 elements
    code, details = _code(stubs[0].Predict, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "needs 5" in details
    assert stubs[0].Predict(_request(recommend_inputs())).model_spec.version.value == 1


def test_message_size_limit(stubs):
    big = {F.USER_ID: np.array([b"x" * 1000] * 2000, object),
           F.ITEM_IDS: np.array([[b"i0"]] * 2000, object)}
    assert _code(stubs[0].Predict, _request(big, "score"))[0] == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_empty_history_and_exclude_columns(stubs, reference):
    inputs = recommend_inputs(users=("u0",), k=3)
    inputs[F.HISTORY] = np.empty((1, 0), object)
    inputs[F.EXCLUDE] = np.empty((1, 0), object)
    got = from_proto(stubs[0].Predict(_request(inputs)).outputs[F.ITEM_IDS])
    np.testing.assert_array_equal(
        got, call_reference(reference, "recommend", **recommend_inputs(("u0",), 3))[F.ITEM_IDS])


def test_too_many_rows_refused_before_decoding_and_server_keeps_serving(stubs):
    users = np.array([b"u%d" % (i % 20) for i in range(5000)], object)
    request = _request({**recommend_inputs(), F.USER_ID: users})
    code, details = _code(stubs[0].Predict, request)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "5,000 rows" in details and "at most 1,024" in details and "--max_batch_size" in details
    # The shape says 200,000 ids, the values are 2: decoding would answer INVALID_ARGUMENT,
    # but the size is checked first.
    request.inputs[F.USER_ID].CopyFrom(to_proto(np.array([b"u1", b"u2"], object)))
    request.inputs[F.USER_ID].tensor_shape.dim[0].size = 200_000
    assert _code(stubs[0].Predict, request)[0] == grpc.StatusCode.RESOURCE_EXHAUSTED
    response = stubs[0].Predict(_request(recommend_inputs()))
    assert from_proto(response.outputs[F.ITEM_IDS]).shape == (2, 5)


@pytest.mark.parametrize("inputs, words", [
    # 300,000 empty history cells: 0.6 MB on the wire, under the message limit.
    ({**recommend_inputs(users=("u0",)), F.HISTORY: np.full((1, 300_000), b"", object)},
     "300,003 values"),
    ({**recommend_inputs(users=tuple(f"u{i % 20}" for i in range(1000)), k=300)},
     "300,000 results (1,000 rows x k=300)"),
])
def test_too_many_values_or_results_are_resource_exhausted(stubs, inputs, words):
    code, details = _code(stubs[0].Predict, _request(inputs))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert words in details and "--max_request_cells" in details


def test_size_refusals_are_held_and_other_errors_are_not(server, stubs, monkeypatch):
    held = []
    monkeypatch.setattr(server.core.refusal_delay, "hold", lambda: held.append(1))
    users = np.array([b"u%d" % (i % 20) for i in range(5000)], object)
    too_big = _request({**recommend_inputs(), F.USER_ID: users})
    assert _code(stubs[0].Predict, too_big)[0] == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert held == [1]
    unknown = _request(recommend_inputs(), name="nope")
    assert _code(stubs[0].Predict, unknown)[0] == grpc.StatusCode.NOT_FOUND
    assert held == [1]
