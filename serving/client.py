"""Client of the serving contract over TF Serving's gRPC or REST API.

Works against this package's server and against `tensorflow_model_server` alike: every
input of `recommend` is always sent (absent history / exclude as one "" column), and REST
uses the columnar format, which TF Serving needs for a scalar `k`.

    with RecommendClient("localhost:8500", "recsys") as client:
        rows = client.recommend(["196"], k=10, history=[["242", "302"]])
        rows[0]["item_ids"], rows[0]["scores"], rows[0]["agent_scores"], rows[0]["agent_names"]
"""

import http.client
import json
import threading

import numpy as np

from rec_model import features as F
from serving.errors import Code, ServingError
from serving.tensors import as_bytes_array

_BY_HTTP = {400: Code.INVALID_ARGUMENT, 404: Code.NOT_FOUND, 413: Code.RESOURCE_EXHAUSTED,
            501: Code.UNIMPLEMENTED, 503: Code.UNAVAILABLE}


def _pad(rows, batch: int, name: str) -> np.ndarray:
    """Per-user id lists (or None) -> [batch, max(1, longest)] bytes array padded with ""."""
    if rows is None:
        rows = [[]] * batch
    rows = [list(r) for r in rows]
    if len(rows) != batch:
        raise ValueError(f"{name} has {len(rows)} rows but there are {batch} users; "
                         "give one list per user")
    width = max([1] + [len(r) for r in rows])
    return as_bytes_array([[str(v) for v in r] + [""] * (width - len(r)) for r in rows])


def _text(values) -> list:
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


class RecommendClient:
    """Asks a model server for recommendations and scores.

    Args:
        target: "host:port" of the gRPC port (or the REST port when protocol="rest").
        model_name: the served model's name.
        protocol: "grpc" or "rest".
        version: a fixed model version; the newest when None.
        timeout: seconds per call.

    Attributes:
        last_request_id: the request id of the last `recommend` when the server logs requests.
    """

    def __init__(self, target: str, model_name: str, protocol: str = "grpc", version=None,
                 timeout: float = 10.0):
        if protocol not in ("grpc", "rest"):
            raise ValueError(f"protocol must be 'grpc' or 'rest', got {protocol!r}")
        self.target, self.model_name, self.protocol = target, model_name, protocol
        self.version, self.timeout = version, timeout
        self.last_request_id = None
        self._local = threading.local()
        if protocol == "grpc":
            import grpc
            from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

            self._channel = grpc.insecure_channel(
                target, options=[("grpc.max_receive_message_length", 64 << 20)])
            self._predict = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
            self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    # -- transport ---------------------------------------------------------------------
    def _spec(self, spec, signature=""):
        spec.name = self.model_name
        spec.signature_name = signature
        if self.version is not None:
            spec.version.value = int(self.version)

    def _grpc_call(self, fn, request):
        import grpc

        try:
            response, call = fn.with_call(request, timeout=self.timeout)
        except grpc.RpcError as err:
            code = getattr(Code, err.code().name, Code.INTERNAL)
            raise ServingError(code, err.details() or str(err)) from None
        return response, dict(call.trailing_metadata() or ())

    def _http(self, method: str, path: str, body=None) -> dict:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            host, _, port = self.target.rpartition(":")
            conn = self._local.conn = http.client.HTTPConnection(host, int(port),
                                                                 timeout=self.timeout)
        prefix = f"/v1/models/{self.model_name}" + (f"/versions/{int(self.version)}"
                                                    if self.version is not None else "")
        data = None if body is None else json.dumps(body).encode("utf-8")
        try:
            conn.request(method, prefix + path, body=data,
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, json.JSONDecodeError) as err:
            conn.close()
            self._local.conn = None
            raise ServingError(Code.UNAVAILABLE,
                               f"REST call to {self.target} failed: {err}") from None
        if response.status != 200:
            raise ServingError(_BY_HTTP.get(response.status, Code.INTERNAL),
                               payload.get("error", str(payload)))
        return payload

    def predict(self, signature: str, inputs: dict) -> dict:
        """Low level: {input: array-like} -> {output: numpy array} (strings as str)."""
        if self.protocol == "grpc":
            from tensorflow_serving.apis import predict_pb2

            from serving.tensors import from_proto, to_proto

            request = predict_pb2.PredictRequest()
            self._spec(request.model_spec, signature)
            for name, value in inputs.items():
                request.inputs[name].CopyFrom(to_proto(value))
            response, trailers = self._grpc_call(self._predict.Predict, request)
            self.last_request_id = trailers.get("x-request-id")
            out = {k: from_proto(v, k) for k, v in response.outputs.items()}
            return {k: np.vectorize(lambda b: b.decode("utf-8", "replace"), otypes=[object])(v)
                    if v.dtype == object and v.size else v for k, v in out.items()}
        body = {"signature_name": signature, "inputs": {
            k: (np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])(v)
                if v.dtype == object else v).tolist()
            for k, v in ((k, np.asarray(v)) for k, v in inputs.items())}}
        payload = self._http("POST", ":predict", body)
        self.last_request_id = payload.get("request_id")
        return {k: np.asarray(v) for k, v in payload["outputs"].items()}

    # -- the contract ------------------------------------------------------------------
    def recommend(self, user_ids, k: int = 10, history=None, exclude=None) -> list:
        """Top-k items per user.

        Args:
            user_ids: [batch] user ids (unknown users fall back to history, then popularity).
            k: items per user.
            history: optional [batch] lists of recent item ids (any lengths).
            exclude: optional [batch] lists of item ids never to recommend.

        Returns:
            One dict per user: item_ids [k] str, scores [k] float, agent_scores [k][n_agents]
            float, agent_names [n_agents] str.
        """
        users = [str(u) for u in user_ids]
        out = self.predict(F.SIGNATURE_RECOMMEND, {
            F.USER_ID: as_bytes_array(users), F.K: np.int32(k),
            F.HISTORY: _pad(history, len(users), "history"),
            F.EXCLUDE: _pad(exclude, len(users), "exclude")})
        names = _text(out[F.AGENT_NAMES].reshape(-1))
        return [{F.ITEM_IDS: _text(out[F.ITEM_IDS][i]),
                 F.SCORES: [float(s) for s in out[F.SCORES][i]],
                 F.AGENT_SCORES: np.asarray(out[F.AGENT_SCORES][i], np.float32).tolist(),
                 F.AGENT_NAMES: names}
                for i in range(len(users))]

    def score(self, user_ids, item_ids) -> list:
        """Scores given items: item_ids is [batch] lists of equal length; per-user dicts back."""
        users = [str(u) for u in user_ids]
        items = as_bytes_array([[str(v) for v in row] for row in item_ids])
        out = self.predict(F.SIGNATURE_SCORE,
                           {F.USER_ID: as_bytes_array(users), F.ITEM_IDS: items})
        return [{F.SCORES: [float(s) for s in out[F.SCORES][i]],
                 F.AGENT_SCORES: np.asarray(out[F.AGENT_SCORES][i], np.float32).tolist()}
                for i in range(len(users))]

    def status(self) -> list:
        """[{"version", "state", "error_code", "error_message"}] as GET /v1/models/NAME."""
        if self.protocol == "rest":
            rows = self._http("GET", "")["model_version_status"]
            return [{"version": int(r["version"]), "state": r["state"], **r["status"]}
                    for r in rows]
        from tensorflow_serving.apis import get_model_status_pb2

        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = self.model_name
        if self.version is not None:
            request.model_spec.version.value = int(self.version)
        response, _ = self._grpc_call(self._models.GetModelStatus, request)
        return [{"version": r.version,
                 "state": get_model_status_pb2.ModelVersionStatus.State.Name(r.state),
                 "error_code": "OK" if r.status.error_code == 0 else "UNKNOWN",
                 "error_message": r.status.error_message}
                for r in response.model_version_status]

    def metadata(self) -> dict:
        """{"version": int, "signature_def": {name: SignatureDef as a JSON dict}}."""
        if self.protocol == "rest":
            payload = self._http("GET", "/metadata")
            return {"version": int(payload["model_spec"]["version"]),
                    "signature_def": payload["metadata"]["signature_def"]["signature_def"]}
        from google.protobuf import json_format
        from tensorflow_serving.apis import get_model_metadata_pb2

        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        self._spec(request.model_spec)
        response, _ = self._grpc_call(self._predict.GetModelMetadata, request)
        sigs = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(sigs)
        return {"version": response.model_spec.version.value,
                "signature_def": json_format.MessageToDict(
                    sigs, preserving_proto_field_name=True)["signature_def"]}

    def close(self):
        if self.protocol == "grpc":
            self._channel.close()
        elif getattr(self._local, "conn", None):
            self._local.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
