"""numpy <-> `tensorflow.TensorProto` without TensorFlow ops (fast, no eval of request data).

Strings are numpy object arrays of `bytes`. Supported dtypes: float32/64, int8/16/32/64,
uint8, bool and string, which covers every signature of the serving contract.
"""

import math

import numpy as np
from tensorflow.core.framework import tensor_pb2, types_pb2

from serving.errors import Code, ServingError

# DataType enum -> (numpy dtype, TensorProto repeated field for values).
_BY_ENUM = {
    types_pb2.DT_FLOAT: (np.float32, "float_val"),
    types_pb2.DT_DOUBLE: (np.float64, "double_val"),
    types_pb2.DT_INT8: (np.int8, "int_val"),
    types_pb2.DT_INT16: (np.int16, "int_val"),
    types_pb2.DT_INT32: (np.int32, "int_val"),
    types_pb2.DT_INT64: (np.int64, "int64_val"),
    types_pb2.DT_UINT8: (np.uint8, "int_val"),
    types_pb2.DT_BOOL: (np.bool_, "bool_val"),
    types_pb2.DT_STRING: (object, "string_val"),
}
_BY_NUMPY = {np.dtype(np_type): enum for enum, (np_type, _) in _BY_ENUM.items()
             if np_type is not object}
# A request tensor may not hold more elements than this (TensorProto's fill rule lets a tiny
# message declare a huge shape); and numpy arrays have at most 32 dimensions here.
MAX_ELEMENTS = 1 << 22
MAX_RANK = 32


def dtype_name(enum: int) -> str:
    """`types_pb2.DT_FLOAT` -> "DT_FLOAT" (an unknown enum value -> "DataType(999)")."""
    try:
        return types_pb2.DataType.Name(enum)
    except ValueError:
        return f"DataType({enum})"


def numpy_dtype(enum: int):
    """numpy dtype of a DataType enum (object for strings); INVALID_ARGUMENT if unsupported."""
    if enum not in _BY_ENUM:
        supported = ", ".join(sorted(dtype_name(e) for e in _BY_ENUM))
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"dtype {dtype_name(enum)} is not supported; use one of {supported}")
    return _BY_ENUM[enum][0]


def dtype_enum(array: np.ndarray) -> int:
    """DataType enum of a numpy array (object / bytes / str arrays are DT_STRING)."""
    if array.dtype.kind in "OSU":
        return types_pb2.DT_STRING
    if array.dtype not in _BY_NUMPY:
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"numpy dtype {array.dtype} has no TensorProto mapping")
    return _BY_NUMPY[array.dtype]


def as_bytes_array(array) -> np.ndarray:
    """Any str/bytes array-like -> numpy object array of bytes (UTF-8)."""
    array = np.asarray(array, dtype=object)
    flat = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in array.reshape(-1)]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(array.shape)


def to_proto(array) -> tensor_pb2.TensorProto:
    """numpy array (or scalar / nested list) -> TensorProto.

    Args:
        array: numeric or string array-like of any shape.

    Returns:
        A TensorProto; numbers travel in `tensor_content`, strings in `string_val`.
    """
    proto = tensor_pb2.TensorProto()
    fill_proto(proto, array)
    return proto


def fill_proto(proto: tensor_pb2.TensorProto, array) -> None:
    """Writes `array` into an empty TensorProto in place (e.g. `response.outputs[name]`).

    Filling the message a response already holds saves building and copying one per output.
    """
    array = np.asarray(array)
    enum = dtype_enum(array)
    proto.dtype = enum
    dims = proto.tensor_shape.dim
    for size in array.shape:
        dims.add(size=size)
    if enum == types_pb2.DT_STRING:
        flat = array.reshape(-1).tolist()
        try:
            proto.string_val.extend(flat)  # bytes from a model: no per-element conversion
        except TypeError:
            proto.ClearField("string_val")
            proto.string_val.extend(as_bytes_array(array).reshape(-1).tolist())
    else:
        proto.tensor_content = np.ascontiguousarray(
            array, dtype=array.dtype.newbyteorder("<")).tobytes()


def from_proto(proto: tensor_pb2.TensorProto, name: str = "tensor") -> np.ndarray:
    """TensorProto -> numpy array; INVALID_ARGUMENT naming `name` when malformed."""
    if proto.tensor_shape.unknown_rank:
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"input {name!r} has unknown rank; send its full shape")
    shape = tuple(int(d.size) for d in proto.tensor_shape.dim)
    if any(d < 0 for d in shape):
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"input {name!r} has a negative dimension {shape}")
    if len(shape) > MAX_RANK:
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"input {name!r} has {len(shape)} dimensions; at most {MAX_RANK}")
    np_type = numpy_dtype(proto.dtype)
    count = math.prod(shape)  # Python ints: no overflow for absurd shapes
    # Non-zero dims count too: numpy cannot even shape an empty [2**40, 2**40, 0] array.
    if math.prod(d for d in shape if d) > MAX_ELEMENTS:
        raise ServingError(Code.RESOURCE_EXHAUSTED,
                           f"input {name!r} of shape {list(shape)} is too large; at "
                           f"most {MAX_ELEMENTS} elements per tensor: "
                           "split the request into smaller batches")
    if proto.tensor_content and np_type is not object:
        dtype = np.dtype(np_type).newbyteorder("<")
        if len(proto.tensor_content) != count * dtype.itemsize:
            raise ServingError(Code.INVALID_ARGUMENT,
                               f"input {name!r}: tensor_content holds "
                               f"{len(proto.tensor_content)} bytes, "
                               f"shape {list(shape)} needs {count * dtype.itemsize}")
        return np.frombuffer(proto.tensor_content, dtype=dtype).astype(np_type).reshape(shape)
    values = list(getattr(proto, _BY_ENUM[proto.dtype][1]))
    if len(values) == 1 and count > 1:  # TensorProto's rule: the last value fills the rest.
        values = values * count
    if len(values) != count:
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"input {name!r} has {len(values)} values but shape {list(shape)} "
                           f"needs {count}")
    if np_type is object:
        out = np.empty(count, dtype=object)
        out[:] = values
        return out.reshape(shape)
    try:
        return np.asarray(values, dtype=np_type).reshape(shape)
    except (OverflowError, ValueError) as err:  # e.g. int_val -1 in a DT_UINT8 tensor
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"input {name!r}: a value does not fit its dtype "
                           f"{np.dtype(np_type).name}: {err}") from None
