"""TF Serving's gRPC API: `tensorflow.serving.PredictionService` and `ModelService`.

Predict, GetModelMetadata and GetModelStatus are served; Classify, Regress,
MultiInference and HandleReloadConfigRequest answer UNIMPLEMENTED. When request logging is
on, Predict sends the request id as trailing metadata `x-request-id`.

Predict receives the serialized request: its shapes are read off the wire
(serving/predict_wire.py) and checked against the request limits before it is parsed, so an
oversized request is refused without ever being decoded.
"""

import concurrent.futures
import logging

import grpc
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2,
                                     model_service_pb2_grpc, predict_pb2,
                                     prediction_service_pb2_grpc)

from serving import predict_wire
from serving.errors import Code, ServingError
from serving.request_limits import proto_shape
from serving.tensors import fill_proto, from_proto

log = logging.getLogger(__name__)


PREDICT_METHOD = "/tensorflow.serving.PredictionService/Predict"


def _spec(request):
    return _model_spec(request.model_spec)


def _model_spec(spec):
    version = spec.version.value if spec.HasField("version") else None
    return spec.name, version, spec.version_label or None


def _guard(method):
    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except ServingError as err:
            context.abort(err.code.grpc, err.message)
        except Exception:  # noqa: BLE001 - a bug: log it, answer INTERNAL rather than UNKNOWN
            log.exception("gRPC %s failed", method.__name__)
            context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")

    wrapper.__name__ = method.__name__
    return wrapper


class _PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, core):
        self.core = core

    @_guard
    def Predict(self, raw, context):  # noqa: N802 - gRPC method name; `raw`: see _RawPredict
        request = None
        peek = predict_wire.peek(raw)
        if peek is None:  # an encoding the wire reader leaves to protobuf
            request = _parse(raw)
            peek = predict_wire.Peek(request.model_spec, tuple(request.output_filter),
                                     {k: proto_shape(v) for k, v in request.inputs.items()})
        name, version, label = _model_spec(peek.model_spec)

        def shapes(servable, signature):
            return peek.shapes

        def decode(servable, signature):
            nonlocal request
            if request is None:
                request = _parse(raw)
                sent = {k: proto_shape(v) for k, v in request.inputs.items()}
                if sent != peek.shapes:  # a hand-made message: check what protobuf really reads
                    self.core.limits.check_shapes(servable.signature(signature), sent)
            return {k: from_proto(v, k) for k, v in request.inputs.items()}

        servable, signature, outputs, request_id = self.core.predict(
            name, version, label, peek.model_spec.signature_name, shapes, decode,
            peek.output_filter, "GRPC")
        response = predict_pb2.PredictResponse()
        response.model_spec.name = name
        response.model_spec.version.value = servable.version
        response.model_spec.signature_name = signature
        for key, value in outputs.items():
            fill_proto(response.outputs[key], value)
        if request_id:
            context.set_trailing_metadata((("x-request-id", request_id),))
        return response

    @_guard
    def GetModelMetadata(self, request, context):  # noqa: N802
        name, version, label = _spec(request)
        fields = list(request.metadata_field)
        if fields != ["signature_def"]:
            raise ServingError(Code.INVALID_ARGUMENT,
                               f"metadata_field must be ['signature_def'] "
                               f"(the only one supported), got {fields}")
        servable = self.core.resolve(name, version, label)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = name
        response.model_spec.version.value = servable.version
        response.metadata["signature_def"].Pack(servable.signature_def_map())
        return response

    def _unimplemented(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED,
                      "this server implements Predict and GetModelMetadata only")

    Classify = Regress = MultiInference = _unimplemented


def _parse(raw: bytes):
    from google.protobuf.message import DecodeError

    try:
        return predict_pb2.PredictRequest.FromString(raw)
    except DecodeError as err:
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"request is not a PredictRequest: {err}") from None


class _RawPredict(grpc.GenericRpcHandler):
    """Serves Predict with the request left serialized (no deserializer): registered before
    the generated PredictionService handler, which then serves the other methods."""

    def __init__(self, service):
        self._handler = grpc.unary_unary_rpc_method_handler(
            service.Predict, response_serializer=predict_pb2.PredictResponse.SerializeToString)

    def service(self, handler_call_details):
        return self._handler if handler_call_details.method == PREDICT_METHOD else None


class _ModelService(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, core):
        self.core = core

    @_guard
    def GetModelStatus(self, request, context):  # noqa: N802
        name, version, label = _spec(request)
        manager = self.core.manager(name)
        if label:
            version = manager.resolve(None, label).version
        response = get_model_status_pb2.GetModelStatusResponse()
        for v, state, code, message in manager.status(version):
            row = response.model_version_status.add(version=v)
            row.state = get_model_status_pb2.ModelVersionStatus.State.Value(state)
            row.status.error_code = 0 if code == "OK" else 2  # tensorflow.error.Code OK / UNKNOWN
            row.status.error_message = message
        return response

    def HandleReloadConfigRequest(self, request, context):  # noqa: N802
        context.abort(grpc.StatusCode.UNIMPLEMENTED,
                      "restart the server with a new --model_config_file")


def start_grpc_server(core, host: str, port: int, max_threads: int, max_message_bytes: int):
    """Starts the gRPC server; returns (server, bound port)."""
    options = [("grpc.max_receive_message_length", max_message_bytes),
               ("grpc.max_send_message_length", max_message_bytes),
               ("grpc.so_reuseport", 0)]
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=max_threads,
                                                               thread_name_prefix="grpc"),
                         options=options)
    predictions = _PredictionService(core)
    server.add_generic_rpc_handlers((_RawPredict(predictions),))  # first: it wins for Predict
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(predictions, server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(_ModelService(core), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise OSError(f"cannot bind gRPC to {host}:{port}; is the port in use? "
                      "pick another with --port")
    server.start()
    return server, bound
