"""Protocol-independent request handling shared by the gRPC and REST front ends."""

import logging
import time

from rec_model import features as F
from serving import model_config
from serving.batcher import Batcher
from serving.batching_config import BatchingParameters
from serving.errors import Code, ServingError
from serving.metrics import Metrics
from serving.model_manager import ModelManager
from serving.refusal_delay import RefusalDelay
from serving.request_limits import RequestLimits
from serving.request_log import RequestLogger, new_request_id
from serving.session_options import SessionOptions

log = logging.getLogger(__name__)


def _user_ids(inputs: dict):
    if F.USER_ID in inputs:
        return [v.decode("utf-8", "replace") for v in inputs[F.USER_ID].reshape(-1).tolist()]
    if F.EXAMPLES in inputs:
        from tensorflow.core.example import example_pb2

        out = []
        for raw in inputs[F.EXAMPLES].reshape(-1).tolist():
            try:
                values = (example_pb2.Example.FromString(raw)
                          .features.feature[F.USER_ID].bytes_list.value)
                out.append(values[0].decode("utf-8", "replace") if values else None)
            except Exception:  # noqa: BLE001 - a malformed example was already rejected by
                # the model
                out.append(None)
        return out
    return None


class ServerCore:
    """Models, batching, metrics and the request log behind both APIs.

    Args:
        options: ServerOptions.
        request_logger: optional object with `log(dict)` and `close()`; by default a
            RequestLogger when `options.request_log_dir` is set.
    """

    def __init__(self, options, request_logger=None):
        self.options = options
        if options.model_config_file:
            configs = model_config.load_file(options.model_config_file)
        else:
            configs = [model_config.ServedModel(options.model_name, options.model_base_path,
                                                num_versions=options.num_versions)]
        self.metrics = Metrics(lambda: {n: (m.versions() or [None])[0]
                                        for n, m in self.managers.items()})
        session = SessionOptions(options.tensorflow_intra_op_parallelism,
                                 options.tensorflow_inter_op_parallelism)
        self.managers = {c.name: ModelManager(c, warmup=options.enable_model_warmup,
                                              on_load=self.metrics.observe_load,
                                              session_options=session) for c in configs}
        self.limits = RequestLimits(options.max_batch_size, options.max_request_cells)
        # A quarter of the gRPC threads at most: held refusals never starve good requests.
        self.refusal_delay = RefusalDelay(options.refusal_delay_ms,
                                          max(1, options.grpc_max_threads // 4))
        self.batcher = None
        if options.enable_batching:
            params = BatchingParameters()
            if options.batching_parameters_file:
                with open(options.batching_parameters_file, encoding="utf-8") as f:
                    params = BatchingParameters.from_text(f.read(),
                                                          options.batching_parameters_file)
            self.batcher = Batcher(params, self.limits)
        self.request_logger = request_logger
        if request_logger is None and options.request_log_dir:
            self.request_logger = RequestLogger(options.request_log_dir,
                                                options.request_log_max_bytes,
                                                options.request_log_fsync)
        self.feedback_log = None
        if options.feedback_log_dir:
            from serving.feedback_log import FeedbackLog

            self.feedback_log = FeedbackLog(options.feedback_log_dir)

    def start(self):
        """Loads every model's current versions, then starts the base-path pollers."""
        for manager in self.managers.values():
            manager.start(self.options.file_system_poll_wait_seconds)

    def stop(self):
        for manager in self.managers.values():
            manager.stop()
        if self.batcher:
            self.batcher.stop()
        if self.request_logger:
            self.request_logger.close()
        if self.feedback_log:
            self.feedback_log.close()

    def manager(self, name: str) -> ModelManager:
        """The manager of a served model; NOT_FOUND otherwise (names never touch the disk)."""
        if name not in self.managers:
            raise ServingError(Code.NOT_FOUND, f"model {name[:100]!r} is not served; "
                               f"served models: {sorted(self.managers)}")
        return self.managers[name]

    def resolve(self, name: str, version=None, label=None):
        return self.manager(name).resolve(version, label)

    def predict(self, name, version, label, signature, shapes, decode, output_filter=(),
                entrypoint="GRPC"):
        """Runs one Predict, refusing it first if it is too big (serving/request_limits.py).

        Args:
            name, version, label: the model spec (version / label may be None).
            signature: signature name ("" = serving_default).
            shapes: callable(servable, signature) -> {input name: shape tuple}, read off the
                request without decoding values; checked against the limits first.
            decode: callable(servable, signature) -> {input name: numpy array}; decoding
                waits for the servable because REST needs its input dtypes.
            output_filter: outputs to return (all when empty).
            entrypoint: "GRPC" or "REST", for metrics.

        Returns:
            (servable, signature name, {output: numpy array}, request id or None).
        """
        start = time.perf_counter()
        signature = signature or F.SIGNATURE_DEFAULT
        status = "OK"
        try:
            servable = self.resolve(name, version, label)
            sig = servable.signature(signature)
            inputs = self._admit(sig, servable, signature, shapes, decode)
            if self.batcher:
                outputs = self.batcher.run(servable, signature, inputs, tuple(output_filter))
            else:
                outputs = servable.run(signature, inputs, tuple(output_filter))
            request_id = self._log(servable, signature, inputs, outputs)
            return servable, signature, outputs, request_id
        except ServingError as err:
            status = err.code.name
            raise
        except Exception:
            status = "INTERNAL"
            raise
        finally:
            self.metrics.observe(name if name in self.managers else "<unknown>", "predict",
                                 entrypoint, status, time.perf_counter() - start)

    def _admit(self, sig, servable, signature, shapes, decode) -> dict:
        """The decoded inputs of a request within the limits; a refusal is held first."""
        try:
            measured = self.limits.check_shapes(sig, shapes(servable, signature))
            inputs = decode(servable, signature)
            self.limits.check_decoded(inputs, measured)
            return inputs
        except ServingError as err:
            if err.code is Code.RESOURCE_EXHAUSTED:
                self.refusal_delay.hold()
            raise

    def _log(self, servable, signature, inputs, outputs):
        if (self.request_logger is None or F.ITEM_IDS not in outputs
                or outputs[F.ITEM_IDS].ndim != 2):
            return None
        user_ids = _user_ids(inputs)
        if user_ids is None:
            return None
        request_id = new_request_id()
        record = {
            "request_id": request_id, "time": round(time.time(), 6), "model": servable.model_name,
            "version": servable.version, "signature": signature, "user_ids": user_ids,
            "item_ids": [[v.decode("utf-8", "replace") for v in row]
                         for row in outputs[F.ITEM_IDS].tolist()],
        }
        if F.SCORES in outputs:
            record["scores"] = [[round(float(s), 6) for s in row]
                                for row in outputs[F.SCORES].tolist()]
        try:
            self.request_logger.log(record)
        except Exception:  # noqa: BLE001 - logging must not fail the recommendation
            log.exception("request log write failed")
            return None
        return request_id
