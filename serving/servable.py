"""One loaded SavedModel version: signature metadata, validated calls and warm-up."""

import logging
import pathlib
import re
import threading

import numpy as np

from serving.errors import Code, ServingError
from serving.session_options import SessionOptions
from serving.tensors import dtype_enum, dtype_name, from_proto

log = logging.getLogger(__name__)

WARMUP_FILE = pathlib.Path("assets.extra") / "tf_serving_warmup_requests"
MAX_WARMUP_RECORDS = 1000  # TF Serving's limit.
_TF_NOISE = re.compile(
    r"^(Graph execution error:|Detected at node.*|<stack traces unavailable>|\s*)$")


def _clean_tf_message(message: str) -> str:
    lines = [ln for ln in message.splitlines() if not _TF_NOISE.match(ln)]
    return " ".join(lines).strip()[:1000] or message[:1000]


class Servable:
    """A SavedModel version loaded for serving.

    Args:
        model_name: name the model is served under.
        version: numeric version (the folder name).
        path: the version folder (`saved_model.pb` + `variables/`).

    Raises:
        Exception: anything TensorFlow raises for an incomplete or corrupt SavedModel.
    """

    def __init__(self, model_name: str, version: int, path,
                 session_options: SessionOptions = SessionOptions()):
        import tensorflow as tf
        from tensorflow.core.protobuf import saved_model_pb2

        self.model_name, self.version, self.path = model_name, int(version), pathlib.Path(path)
        proto = saved_model_pb2.SavedModel()
        pb_file = self.path / "saved_model.pb"
        try:
            proto.ParseFromString(pb_file.read_bytes())
        except Exception as err:  # noqa: BLE001 - DecodeError and friends
            raise ValueError(f"cannot parse {pb_file} ({err}); it is truncated or not a "
                             "SavedModel: re-export it, writing to a temporary folder and "
                             "renaming it into place") from None
        graphs = [g for g in proto.meta_graphs if "serve" in g.meta_info_def.tags]
        if not graphs:
            raise ValueError(f"{self.path}: no MetaGraph tagged 'serve'; "
                             "export with tf.saved_model.save")
        self.signature_defs = dict(graphs[0].signature_def)
        self.signature_defs.pop("__saved_model_init_op", None)
        # TF Serving's SavedModelBundle: the "serve" MetaGraph in one Session, restored variables,
        # init ops (tables) run once; each request feeds and fetches the SignatureDef's tensor
        # names.
        self._graph = tf.Graph()
        self._session = tf.compat.v1.Session(graph=self._graph,
                                             config=session_options.config_proto())
        # The loader behind tf.compat.v1.saved_model.load, called directly: that wrapper logs
        # a deprecation warning at every load, and tf.saved_model.load (eager functions, no
        # Session) is not how TF Serving runs a model.
        from tensorflow.python.saved_model import loader_impl  # pylint: disable=no-name-in-module
        with self._graph.as_default():
            loader_impl.SavedModelLoader(str(self.path)).load(self._session, ["serve"])
        self._callables = {}  # (signature, output names) -> Session callable
        self._callables_lock = threading.Lock()
        self._tf = tf

    def signature_def_map(self):
        """`tensorflow_serving.apis.get_model_metadata_pb2.SignatureDefMap` of this version."""
        from tensorflow_serving.apis import get_model_metadata_pb2

        out = get_model_metadata_pb2.SignatureDefMap()
        for name, sig in self.signature_defs.items():
            out.signature_def[name].CopyFrom(sig)
        return out

    def signature(self, name: str):
        """The SignatureDef called `name` ("" means serving_default); INVALID_ARGUMENT if absent.
        """
        name = name or "serving_default"
        if name not in self.signature_defs:
            raise ServingError(Code.INVALID_ARGUMENT,
                               f"signature {name!r} not found in model {self.model_name!r} "
                               f"version {self.version}; it has {sorted(self.signature_defs)}")
        return self.signature_defs[name]

    def input_dtypes(self, signature_name: str) -> dict:
        """{input name: DataType enum} of a signature."""
        return {k: v.dtype for k, v in self.signature(signature_name).inputs.items()}

    def _check(self, signature_name, sig, inputs):
        missing = sorted(set(sig.inputs) - set(inputs))
        extra = sorted(set(inputs) - set(sig.inputs))
        if missing or extra:
            raise ServingError(Code.INVALID_ARGUMENT,
                               f"signature {signature_name!r} takes inputs {sorted(sig.inputs)}; "
                               f"missing {missing}, unexpected {extra}. Send every input "
                               "(optional ones as empty strings, see serving/README.md)")
        for name, info in sig.inputs.items():
            value = inputs[name]
            if dtype_enum(value) != info.dtype:
                raise ServingError(Code.INVALID_ARGUMENT,
                                   f"input {name!r} must be {dtype_name(info.dtype)}, "
                                   f"got {dtype_name(dtype_enum(value))}")
            if info.tensor_shape.unknown_rank:
                continue
            dims = [d.size for d in info.tensor_shape.dim]
            if len(dims) != value.ndim or any(d not in (-1, s) for d, s in zip(dims, value.shape)):
                want = "[" + ", ".join("?" if d < 0 else str(d) for d in dims) + "]"
                raise ServingError(Code.INVALID_ARGUMENT,
                                   f"input {name!r} must have shape {want}, "
                                   f"got {list(value.shape)}")

    def run(self, signature_name: str, inputs: dict, output_filter=()) -> dict:
        """Calls a signature.

        Args:
            signature_name: e.g. "recommend"; "" means serving_default.
            inputs: {input name: numpy array}, dtypes and shapes as in the SignatureDef.
            output_filter: names of the outputs to return (all when empty).

        Returns:
            {output name: numpy array}; strings are object arrays of bytes.

        Raises:
            ServingError: INVALID_ARGUMENT for bad inputs or a failing model check (e.g. k).
        """
        signature_name = signature_name or "serving_default"
        sig = self.signature(signature_name)
        self._check(signature_name, sig, inputs)
        unknown = sorted(set(output_filter) - set(sig.outputs))
        if unknown:
            raise ServingError(Code.INVALID_ARGUMENT,
                               f"output_filter names {unknown} are not outputs of "
                               f"{signature_name!r}: {sorted(sig.outputs)}")
        tf = self._tf
        names = tuple(output_filter) or tuple(sig.outputs)
        call, feed_order = self._callable(signature_name, sig, names)
        try:
            values = call(*[inputs[k] for k in feed_order])
        except tf.errors.InvalidArgumentError as err:
            raise ServingError(Code.INVALID_ARGUMENT, _clean_tf_message(err.message)) from None
        except (tf.errors.OpError, TypeError, ValueError) as err:
            raise ServingError(Code.INTERNAL,
                               f"model failed: {_clean_tf_message(str(err))}") from None
        return dict(zip(names, values))

    def _callable(self, signature_name, sig, output_names):
        """A cached Session callable feeding the signature's inputs in sorted order.

        Uses the C++ `Session::MakeCallable` (TF Serving's fast path: feeds and fetches are
        resolved once, each call is one C call); `make_callable` when the private wrapper of
        that API is missing from a future TensorFlow.
        """
        key = (signature_name, output_names)
        entry = self._callables.get(key)
        if entry is not None:
            return entry
        feed_order = tuple(sorted(sig.inputs))
        feeds = [sig.inputs[k].name for k in feed_order]
        fetches = [sig.outputs[k].name for k in output_names]
        with self._callables_lock:
            entry = self._callables.get(key)
            if entry is None:
                if hasattr(self._session, "_make_callable_from_options"):
                    from tensorflow.core.protobuf import config_pb2

                    options = config_pb2.CallableOptions(feed=feeds, fetch=fetches)
                    call = self._session._make_callable_from_options(options)  # noqa: SLF001
                else:
                    call = self._session.make_callable(fetches, feed_list=feeds)
                entry = self._callables[key] = (call, feed_order)
        return entry

    def run_proto_inputs(self, signature_name: str, proto_inputs, output_filter=()) -> dict:
        """`run` for a map of TensorProtos (a PredictRequest's `inputs`)."""
        inputs = {k: from_proto(v, k) for k, v in proto_inputs.items()}
        return self.run(signature_name, inputs, tuple(output_filter))

    def warmup(self) -> int:
        """Replays `assets.extra/tf_serving_warmup_requests` (PredictLogs), else one dummy call.

        Returns:
            Number of requests run.

        Raises:
            ServingError: a warm-up record failed (the version must not be served).
        """
        file = self.path / WARMUP_FILE
        if file.exists():
            from tensorflow_serving.apis import prediction_log_pb2

            count = 0
            for record in self._tf.data.TFRecordDataset(str(file)).take(MAX_WARMUP_RECORDS):
                entry = prediction_log_pb2.PredictionLog.FromString(record.numpy())
                if entry.WhichOneof("log_type") == "predict_log":
                    req = entry.predict_log.request
                    self.run_proto_inputs(req.model_spec.signature_name, req.inputs,
                                          req.output_filter)
                    count += 1
            return count
        name = ("recommend" if "recommend" in self.signature_defs
                else next(iter(self.signature_defs), None))
        if name is None:
            return 0
        try:
            self.run(name, _dummy_inputs(self.signature_defs[name]))
        except ServingError as err:  # A dummy request may legitimately be rejected.
            log.info("synthetic warm-up of %s v%d/%s: %s", self.model_name, self.version, name,
                     err)
        return 1


def _dummy_inputs(sig) -> dict:
    from serving.tensors import numpy_dtype

    out = {}
    for name, info in sig.inputs.items():
        shape = ([] if info.tensor_shape.unknown_rank
                 else [max(d.size, 1) for d in info.tensor_shape.dim])
        np_type = numpy_dtype(info.dtype)
        out[name] = (np.full(shape, b"", dtype=object) if np_type is object
                     else np.ones(shape, np_type))
    return out
