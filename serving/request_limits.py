"""Per-request bounds: refuse what would hurt the server before any tensor is built.

A request's cost grows with its rows (the model scores the whole catalogue for each one)
and with the values it carries or asks for. Both are read off the request's shapes -- the
dims of its TensorProtos, or the structure of its JSON -- so a refused request never becomes
numpy arrays, TensorFlow tensors or a model call:

1. `check_shapes` (before decoding): rows (first dimension of the signature's batch-major
   inputs) <= `max_batch_size`; values over all inputs <= `max_request_cells`.
2. `check_decoded` (after decoding, before the model): rows x `k` (the results asked for)
   <= `max_request_cells`; the values inside serialized tf.Examples count as cells too,
   since the model's `parse_example` makes a tensor of them.

"Too big" is RESOURCE_EXHAUSTED (HTTP 413) with a message naming the limit and its flag;
malformed or out-of-contract requests stay INVALID_ARGUMENT (decoding and the model check
those). The batcher keeps merged batches inside the same bounds.
"""

import dataclasses
import math

import numpy as np

from rec_model import features as F
from serving.errors import Code, ServingError

# The one place for the defaults: ServerOptions and the flags read them from here.
# 1,024 rows: a MovieLens-scale model scores 1.7M (user, item) pairs per such request.
DEFAULT_MAX_BATCH_SIZE = 1024
# 2**18 values: e.g. 1,024 users with 128 history + 128 exclude ids each, or k=256 for each.
DEFAULT_MAX_REQUEST_CELLS = 1 << 18


def batch_major(info) -> bool:
    """True when a TensorInfo's first dimension is the (unknown) batch dimension."""
    dims = info.tensor_shape.dim
    return info.tensor_shape.unknown_rank or (len(dims) > 0 and dims[0].size == -1)


def shape_dims(tensor_shape) -> tuple:
    """A TensorShapeProto's dims as a tuple."""
    return tuple(int(d.size) for d in tensor_shape.dim)


def proto_shape(proto) -> tuple:
    """Shape a TensorProto declares, read from its dims only (no values are touched)."""
    return shape_dims(proto.tensor_shape)


def json_shape(value) -> tuple:
    """Shape of nested JSON lists, following first elements only (O(rank), no copies).

    Ragged lists are rejected later by `json_codec.to_array`; for rectangular ones this is
    the exact shape. `{"b64": ...}` objects and other non-lists are scalars.
    """
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value or len(shape) > 64:  # deeper than any tensor: to_array rejects it
            break
        value = value[0]
    return tuple(shape)


def _cells(shape) -> int:
    # Negative dims are malformed (from_proto answers INVALID_ARGUMENT); count them as 0 here.
    return math.prod(max(d, 0) for d in shape)


def _example_values(serialized) -> int:
    """Number of values in the features of one serialized tf.Example (0 if unparsable)."""
    from tensorflow.core.example import example_pb2

    try:
        example = example_pb2.Example.FromString(serialized)
    except Exception:  # noqa: BLE001 - malformed examples are the model's INVALID_ARGUMENT
        return 0
    total = 0
    for feature in example.features.feature.values():
        kind = feature.WhichOneof("kind")
        if kind:
            total += len(getattr(feature, kind).value)
    return total


def results_per_row(inputs: dict) -> int:
    """Results a request asks for per row: its scalar integer `k` (0 without one)."""
    k = inputs.get(F.K)
    if k is None or np.ndim(k) != 0 or np.asarray(k).dtype.kind not in "iu":
        return 0
    return max(int(k), 0)  # k < 1 is the model's INVALID_ARGUMENT, not a size


@dataclasses.dataclass(frozen=True)
class Measured:
    """What `check_shapes` found: rows (0 without batch-major inputs) and input values."""

    rows: int
    cells: int


@dataclasses.dataclass(frozen=True)
class RequestLimits:
    """Bounds on one Predict request (flags `--max_batch_size`, `--max_request_cells`).

    Args:
        max_batch_size: rows per request (TF Serving's word for it; requests above it are
            refused, never split).
        max_request_cells: values per request, summed over every input, and results asked
            for (rows x k).
    """

    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_request_cells: int = DEFAULT_MAX_REQUEST_CELLS

    def __post_init__(self):
        for field in dataclasses.fields(self):
            if getattr(self, field.name) < 1:
                raise ValueError(f"--{field.name} must be >= 1, got {getattr(self, field.name)}")

    def check_shapes(self, signature_def, shapes: dict) -> Measured:
        """Refuses a request by its shapes alone, before any value is decoded.

        Args:
            signature_def: the SignatureDef called (which inputs are batch-major).
            shapes: {input name: shape tuple} as sent, including inputs the signature lacks.

        Returns:
            Measured rows and cells, for `check_decoded`.

        Raises:
            ServingError: RESOURCE_EXHAUSTED naming the limit and the flag that raises it.
        """
        rows, widest = 0, None
        for name, shape in sorted(shapes.items()):  # sorted: the same input named every time
            info = signature_def.inputs.get(name)
            if info is not None and batch_major(info) and shape and shape[0] > rows:
                rows, widest = shape[0], name
        if rows > self.max_batch_size:
            raise ServingError(Code.RESOURCE_EXHAUSTED, (
                f"request has {rows:,} rows (input {widest!r} of shape {list(shapes[widest])}); "
                f"this server accepts at most {self.max_batch_size:,} rows per request "
                "(--max_batch_size): split it into smaller requests"))
        cells = sum(_cells(shape) for shape in shapes.values())
        if cells > self.max_request_cells:
            detail = ", ".join(f"{name} {list(shape)}" for name, shape in sorted(shapes.items()))
            raise ServingError(Code.RESOURCE_EXHAUSTED, (
                f"request inputs hold {cells:,} values ({detail}); this server accepts at most "
                f"{self.max_request_cells:,} per request (--max_request_cells): send fewer rows "
                "or shorter history/exclude/item_ids lists"))
        return Measured(rows, cells)

    def check_decoded(self, inputs: dict, measured: Measured) -> None:
        """Refuses, before the model runs, what only decoded values reveal.

        Args:
            inputs: {input name: numpy array}, already through `check_shapes`.
            measured: what `check_shapes` returned for them.

        Raises:
            ServingError: RESOURCE_EXHAUSTED for rows x k or tf.Example values over the limit.
        """
        k = results_per_row(inputs)
        results = max(measured.rows, 1) * k
        if results > self.max_request_cells:
            raise ServingError(Code.RESOURCE_EXHAUSTED, (
                f"request asks for {results:,} results ({max(measured.rows, 1):,} rows x "
                f"k={k:,}); this server returns at most {self.max_request_cells:,} per "
                "request (--max_request_cells): lower k or send fewer rows"))
        examples = inputs.get(F.EXAMPLES)
        if examples is not None and examples.dtype == object:
            values = sum(_example_values(raw) for raw in np.ravel(examples))
            if measured.cells + values > self.max_request_cells:
                raise ServingError(Code.RESOURCE_EXHAUSTED, (
                    f"request holds {measured.cells + values:,} values ({examples.size:,} "
                    f"tf.Examples with {values:,} feature values); this server accepts at most "
                    f"{self.max_request_cells:,} per request (--max_request_cells): send fewer "
                    "examples or shorter histories"))

    def batch_fits(self, rows: int, dims: dict, per_row_results: int) -> bool:
        """Whether a merged batch stays inside the bounds (the batcher asks before merging).

        Args:
            rows: total rows of the merged batch.
            dims: {batched input name: its non-batch dims after padding}.
            per_row_results: `results_per_row` of the requests (equal within a batch).
        """
        per_row = sum(_cells(d) for d in dims.values())
        return (rows <= self.max_batch_size and rows * per_row <= self.max_request_cells
                and rows * per_row_results <= self.max_request_cells)
