"""Request limits: what is refused, with which code and message, before anything is decoded."""

import argparse

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2

from rec_model import features as F
from serving.errors import Code, ServingError
from serving.request_limits import RequestLimits, json_shape, proto_shape, results_per_row
from serving.server_options import ServerOptions, add_arguments


def _recommend_sig():
    """recommend's SignatureDef shapes: user_id [?], k [], history [?, ?], exclude [?, ?]."""
    sig = meta_graph_pb2.SignatureDef()
    for name, rank in ((F.USER_ID, 1), (F.K, 0), (F.HISTORY, 2), (F.EXCLUDE, 2)):
        sig.inputs[name].tensor_shape.SetInParent()
        for _ in range(rank):
            sig.inputs[name].tensor_shape.dim.add(size=-1)
    return sig


def _shapes(rows, width=1):
    return {F.USER_ID: (rows,), F.K: (), F.HISTORY: (rows, width), F.EXCLUDE: (rows, width)}


def _refusal(call, *args):
    with pytest.raises(ServingError) as info:
        call(*args)
    assert info.value.code == Code.RESOURCE_EXHAUSTED
    return info.value.message


def test_rows_over_the_limit_are_refused_naming_the_flag():
    limits = RequestLimits(max_batch_size=1024)
    message = _refusal(limits.check_shapes, _recommend_sig(), _shapes(200_000))
    assert "200,000 rows" in message and "at most 1,024" in message
    assert "--max_batch_size" in message
    assert limits.check_shapes(_recommend_sig(), _shapes(1024)).rows == 1024


def test_rows_come_from_batch_major_inputs_only():
    sig = _recommend_sig()
    sig.inputs["table"].tensor_shape.dim.add(size=5000)  # a fixed-size input is not a batch
    measured = RequestLimits(max_batch_size=10).check_shapes(sig, {**_shapes(3), "table": (5000,)})
    assert measured.rows == 3 and measured.cells == 3 + 1 + 3 + 3 + 5000
    # An input the signature lacks still counts as cells (it is refused later as unexpected).
    message = _refusal(RequestLimits(max_request_cells=100).check_shapes, sig, {"bogus": (2**40,)})
    assert "bogus [1099511627776]" in message and "--max_request_cells" in message


def test_cells_over_the_limit_are_refused_naming_the_flag():
    limits = RequestLimits(max_batch_size=1024, max_request_cells=1000)
    message = _refusal(limits.check_shapes, _recommend_sig(), _shapes(10, 50))
    assert "1,011 values" in message and "at most 1,000" in message
    assert "--max_request_cells" in message and "history [10, 50]" in message
    assert limits.check_shapes(_recommend_sig(), _shapes(10, 49)).cells == 991


def test_rows_times_k_are_bounded_after_decoding():
    limits = RequestLimits(max_request_cells=1000)
    inputs = {F.USER_ID: np.array([b"u"] * 10, object), F.K: np.int32(101)}
    measured = limits.check_shapes(_recommend_sig(), _shapes(10))
    message = _refusal(limits.check_decoded, inputs, measured)
    assert "1,010 results (10 rows x k=101)" in message and "lower k" in message
    limits.check_decoded({**inputs, F.K: np.int32(100)}, measured)
    # k < 1 or a k of the wrong type is the model's INVALID_ARGUMENT, not a size.
    assert results_per_row({F.K: np.int32(-5)}) == 0 and results_per_row({F.K: np.float32(9)}) == 0
    assert results_per_row({F.K: np.array([9], np.int32)}) == 0 and results_per_row({}) == 0


def test_values_inside_serialized_examples_count_as_cells():
    sig = meta_graph_pb2.SignatureDef()
    sig.inputs[F.EXAMPLES].tensor_shape.dim.add(size=-1)
    history = tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"i1"] * 600))
    example = tf.train.Example(features=tf.train.Features(feature={F.HISTORY: history}))
    inputs = {F.EXAMPLES: np.array([example.SerializeToString(), b"not an example"], object)}
    limits = RequestLimits(max_request_cells=600)
    measured = limits.check_shapes(sig, {F.EXAMPLES: (2,)})
    message = _refusal(limits.check_decoded, inputs, measured)
    assert "2 tf.Examples with 600 feature values" in message and "--max_request_cells" in message
    RequestLimits(max_request_cells=602).check_decoded(inputs, measured)


def test_batch_fits_counts_padded_cells_and_results():
    limits = RequestLimits(max_batch_size=8, max_request_cells=100)
    assert limits.batch_fits(8, {F.USER_ID: (), F.HISTORY: (11,)}, 0)  # 8 x 12 = 96
    assert not limits.batch_fits(8, {F.USER_ID: (), F.HISTORY: (12,)}, 0)  # 8 x 13 = 104
    assert not limits.batch_fits(9, {F.USER_ID: ()}, 0)
    assert not limits.batch_fits(8, {F.USER_ID: ()}, 13)  # 8 rows x k=13 results


def test_shapes_are_read_without_values():
    proto = tf.make_tensor_proto([b"u1"])
    proto.tensor_shape.dim[0].size = 200_000  # declared, never sent: only dims are read
    assert proto_shape(proto) == (200_000,)
    assert json_shape([["a", "b"], ["c", "d"]]) == (2, 2) and json_shape(3) == ()
    assert json_shape([{"b64": "AA=="}]) == (1,) and json_shape([[], []]) == (2, 0)
    assert json_shape("u1") == () and json_shape([]) == (0,)


def test_flags_defaults_aliases_and_validation():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--model_base_path=/m", "--max-batch-size=64",
                              "--max_request_cells=4096"])
    options = ServerOptions.from_args(args)
    assert (options.max_batch_size, options.max_request_cells) == (64, 4096)
    defaults = ServerOptions.from_args(parser.parse_args(["--model_base_path=/m"]))
    assert (defaults.max_batch_size, defaults.max_request_cells) == (1024, 1 << 18)
    assert defaults.refusal_delay_ms == 50.0
    with pytest.raises(ValueError, match="--refusal_delay_ms must be >= 0"):
        ServerOptions.from_args(parser.parse_args(["--model_base_path=/m",
                                                   "--refusal_delay_ms=-1"]))
    with pytest.raises(ValueError, match="--max_batch_size must be >= 1"):
        ServerOptions.from_args(parser.parse_args(["--model_base_path=/m", "--max_batch_size=0"]))
