"""cond_as_call: a tf.cond left unlowered, in tf.function, eagerly and in a SavedModel."""

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.saved_model import loader_impl  # pylint: disable=no-name-in-module

from rec_model.control_flow import cond_as_call

_LOWERING = "_lower_using_switch_merge"


def _branches(x):
    return (lambda: (x * 2, x > 5), lambda: (x - 1, tf.zeros([], tf.bool)))


class _Module(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="x")])
    def call(self, x):
        doubled, big = cond_as_call(x > 0, *_branches(x))
        return {"value": doubled, "big": big}


def _if_ops(graph):
    return [op for op in graph.get_operations() if op.type in ("If", "StatelessIf")]


def test_the_if_op_is_unlowered_where_tf_cond_lowers_it():
    kept = tf.function(lambda x: cond_as_call(x > 0, *_branches(x)))
    lowered = tf.function(lambda x: tf.cond(x > 0, *_branches(x)))
    spec = tf.TensorSpec([], tf.int32)
    (op,) = _if_ops(kept.get_concrete_function(spec).graph)
    assert op.get_attr(_LOWERING) is False
    (plain,) = _if_ops(lowered.get_concrete_function(spec).graph)
    assert plain.get_attr(_LOWERING) is True


def test_answers_equal_tf_cond_in_a_function_and_eagerly():
    kept = tf.function(lambda x: cond_as_call(x > 0, *_branches(x)))
    for x in (7, 3, -3):
        want = [t.numpy() for t in tf.cond(tf.constant(x) > 0, *_branches(tf.constant(x)))]
        assert [t.numpy() for t in kept(tf.constant(x))] == want
        eager = cond_as_call(tf.constant(x) > 0, *_branches(tf.constant(x)))
        assert [t.numpy() for t in eager] == want


def test_a_saved_model_keeps_the_call_and_a_session_runs_both_branches(tmp_path):
    module = _Module()
    tf.saved_model.save(module, str(tmp_path), signatures={"call": module.call})
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((tmp_path / "saved_model.pb").read_bytes())
    ifs = [node for f in proto.meta_graphs[0].graph_def.library.function
           for node in f.node_def if node.op in ("If", "StatelessIf")]
    assert ifs and all(node.attr[_LOWERING].b is False for node in ifs)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        meta = loader_impl.SavedModelLoader(str(tmp_path)).load(session, ["serve"])
        sig = meta.signature_def["call"]
        fetch = {k: v.name for k, v in sig.outputs.items()}
        for x, want in ((7, (14, True)), (-3, (-4, False))):
            got = session.run(fetch, {sig.inputs["x"].name: np.int32(x)})
            assert (int(got["value"]), bool(got["big"])) == want
