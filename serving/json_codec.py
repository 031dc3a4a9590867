"""TF Serving's REST JSON encoding (https://www.tensorflow.org/tfx/serving/api_rest).

Requests: `{"signature_name": S, "instances": [...]}` (row format) or `{"inputs": ...}`
(columnar). Strings are JSON strings, binary strings `{"b64": "..."}`. Responses mirror the
request: `{"predictions": [...]}` or `{"outputs": ...}`; string outputs whose name ends in
`_bytes` are base64 objects. Values are converted by walking the JSON (never eval'd).

Row format stacks every input along a new batch axis, so a signature with a scalar input
(`recommend`'s `k`) or an output without the batch dimension (`agent_names`) only works in
the columnar format -- exactly as on TF Serving.
"""

import base64
import binascii
import json

import numpy as np
from tensorflow.core.framework import types_pb2

from serving.errors import Code, ServingError
from serving.tensors import MAX_RANK, dtype_name, numpy_dtype


def _bad(message: str) -> ServingError:
    return ServingError(Code.INVALID_ARGUMENT, message)


def _is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and "b64" in value


def _leaf(value, enum: int, name: str):
    if enum == types_pb2.DT_STRING:
        if isinstance(value, str):
            try:
                return value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate such as "\ud800"
                raise _bad(f"input {name!r}: a string is not valid Unicode (lone surrogate); "
                           "send binary values as {\"b64\": ...}") from None
        if _is_b64(value):
            try:
                return base64.b64decode(value["b64"], validate=True)
            except (binascii.Error, TypeError, ValueError) as err:  # ValueError: non-ASCII text
                raise _bad(f"input {name!r}: invalid base64 value ({err})") from None
        raise _bad(f"input {name!r} is {dtype_name(enum)}: expected a JSON string or "
                   f"{{\"b64\": ...}}, got {value!r:.40}")
    if enum == types_pb2.DT_BOOL:
        if isinstance(value, bool):
            return value
        raise _bad(f"input {name!r} is DT_BOOL: expected true/false, got {value!r:.40}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(f"input {name!r} is {dtype_name(enum)}: expected a number, got {value!r:.40}")
    if enum not in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE) and not isinstance(value, int):
        raise _bad(f"input {name!r} is {dtype_name(enum)}: expected an integer, got {value!r:.40}")
    return value


def to_array(value, enum: int, name: str) -> np.ndarray:
    """A JSON value (nested lists) -> numpy array of the signature's dtype.

    Raises:
        ServingError: INVALID_ARGUMENT for ragged lists or values of the wrong type.
    """
    shape, level = [], [value]
    while level and isinstance(level[0], list):
        size = len(level[0])
        if any(not isinstance(v, list) or len(v) != size for v in level):
            raise _bad(f"input {name!r} is ragged or mixes lists and values; "
                       "pad it to a rectangular shape")
        shape.append(size)
        if len(shape) > MAX_RANK:
            raise _bad(f"input {name!r} nests more than {MAX_RANK} lists deep")
        level = [x for v in level for x in v]
    flat = [_leaf(v, enum, name) for v in level]
    np_type = numpy_dtype(enum)
    if np_type is object:
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(shape)
    try:
        return np.asarray(flat, dtype=np_type).reshape(shape)
    except OverflowError:
        raise _bad(f"input {name!r}: a value overflows {dtype_name(enum)}") from None


def parse_body(raw: bytes) -> dict:
    """Request bytes -> JSON object; INVALID_ARGUMENT if it is not one."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _bad(f"request body is not valid JSON: {err}") from None
    except RecursionError:
        raise _bad("request body nests too deeply to parse; "
                   "send flat 'inputs' or 'instances'") from None
    if not isinstance(body, dict):
        raise _bad("request body must be a JSON object with 'instances' or 'inputs'")
    return body


def select_inputs(body: dict, input_dtypes: dict) -> tuple[dict, str]:
    """Request JSON -> ({input name: JSON value}, "row" | "columnar"), nothing converted yet.

    The values are the request's own lists (row format: one new list of references per
    input), so `request_limits.json_shape` can size them before `to_array` copies anything.

    Args:
        body: parsed request object.
        input_dtypes: {input name: DataType enum} of the signature.
    """
    if ("instances" in body) == ("inputs" in body):
        raise _bad("the request needs exactly one of 'instances' (row format) or "
                   "'inputs' (columnar format)")
    names = list(input_dtypes)
    if "inputs" in body:
        value = body["inputs"]
        if isinstance(value, dict) and not _is_b64(value):
            for k in value:
                if k not in input_dtypes:
                    _unknown(k, names)
            return dict(value), "columnar"
        if len(names) != 1:
            raise _bad(f"signature has inputs {names}: "
                       "send 'inputs' as an object keyed by input name")
        return {names[0]: value}, "columnar"
    rows = body["instances"]
    if not isinstance(rows, list) or not rows:
        raise _bad("'instances' must be a non-empty list")
    if not all(isinstance(r, dict) and not _is_b64(r) for r in rows):
        if len(names) != 1:
            raise _bad(f"signature has inputs {names}: "
                       "each instance must be an object keyed by input name")
        return {names[0]: rows}, "row"
    keys = set(rows[0])
    if any(set(r) != keys for r in rows):
        raise _bad("every instance must have the same input names")
    for k in rows[0]:
        if k not in input_dtypes:
            _unknown(k, names)
    return {k: [r[k] for r in rows] for k in rows[0]}, "row"


def to_arrays(columns: dict, input_dtypes: dict) -> dict:
    """`select_inputs` values -> {input name: numpy array of the signature's dtype}."""
    return {k: to_array(v, input_dtypes[k], k) for k, v in columns.items()}


def decode_inputs(body: dict, input_dtypes: dict) -> tuple[dict, str]:
    """Request JSON -> ({input name: numpy array}, "row" | "columnar").

    Args:
        body: parsed request object.
        input_dtypes: {input name: DataType enum} of the signature.
    """
    columns, fmt = select_inputs(body, input_dtypes)
    return to_arrays(columns, input_dtypes), fmt


def _unknown(name, names):
    raise _bad(f"input {name!r} is not in the signature; it takes {names}")


def _jsonable(array: np.ndarray, name: str):
    if array.dtype == object or array.dtype.kind in "SU":
        if name.endswith("_bytes"):
            enc = lambda v: {"b64": base64.b64encode(v).decode("ascii")}  # noqa: E731
        else:
            enc = lambda v: (  # noqa: E731
                v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
        flat = [enc(v) for v in array.reshape(-1)]
        return (np.asarray(flat, dtype=object).reshape(array.shape).tolist() if array.ndim
                else flat[0])
    return array.tolist()


def encode_outputs(outputs: dict, fmt: str) -> dict:
    """{output name: numpy array} -> the response object of the request's format.

    Raises:
        ServingError: INVALID_ARGUMENT when row format meets outputs of different batch sizes.
    """
    if fmt == "columnar":
        if len(outputs) == 1:
            (name, value), = outputs.items()
            return {"outputs": _jsonable(value, name)}
        return {"outputs": {name: _jsonable(value, name) for name, value in outputs.items()}}
    batch = None
    for name, value in outputs.items():
        size = value.shape[0] if value.ndim else None
        batch = size if batch is None else batch
        if size is None or size != batch:
            raise _bad(f"Tensor name: {name} has inconsistent batch size: {size} "
                       f"expecting: {batch}; "
                       "send this signature's requests in the columnar format ('inputs')")
    if len(outputs) == 1:
        (name, value), = outputs.items()
        return {"predictions": _jsonable(value, name)}
    cols = {name: _jsonable(value, name) for name, value in outputs.items()}
    return {"predictions": [{name: col[i] for name, col in cols.items()} for i in range(batch)]}
