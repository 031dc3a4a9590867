"""TF Serving's gRPC API: `tensorflow.serving.PredictionService` and `ModelService`.

Predict, GetModelMetadata and GetModelStatus are served; Classify, Regress,
MultiInference and HandleReloadConfigRequest answer UNIMPLEMENTED. When request logging is
on, Predict sends the request id as trailing metadata `x-request-id`.
"""

import concurrent.futures
import logging

import grpc
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2, model_service_pb2_grpc,
                                     predict_pb2, prediction_service_pb2_grpc)

from serving.errors import Code, ServingError
from serving.tensors import fill_proto, from_proto

log = logging.getLogger(__name__)


def _spec(request):
    spec = request.model_spec
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
    def Predict(self, request, context):  # noqa: N802 - gRPC method name
        name, version, label = _spec(request)

        def decode(servable, signature):
            return {k: from_proto(v, k) for k, v in request.inputs.items()}

        servable, signature, outputs, request_id = self.core.predict(
            name, version, label, request.model_spec.signature_name, decode, request.output_filter, "GRPC")
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
                               f"metadata_field must be ['signature_def'] (the only one supported), got {fields}")
        servable = self.core.resolve(name, version, label)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = name
        response.model_spec.version.value = servable.version
        response.metadata["signature_def"].Pack(servable.signature_def_map())
        return response

    def _unimplemented(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "this server implements Predict and GetModelMetadata only")

    Classify = Regress = MultiInference = _unimplemented


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
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "restart the server with a new --model_config_file")


def start_grpc_server(core, host: str, port: int, max_threads: int, max_message_bytes: int):
    """Starts the gRPC server; returns (server, bound port)."""
    options = [("grpc.max_receive_message_length", max_message_bytes),
               ("grpc.max_send_message_length", max_message_bytes),
               ("grpc.so_reuseport", 0)]
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=max_threads,
                                                               thread_name_prefix="grpc"), options=options)
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(_PredictionService(core), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(_ModelService(core), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise OSError(f"cannot bind gRPC to {host}:{port}; is the port in use? pick another with --port")
    server.start()
    return server, bound
