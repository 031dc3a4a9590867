"""A `tf.cond` whose branches run as function calls, for a large branch that rarely runs.

Inside a `tf.function` (and a SavedModel's signatures), TensorFlow lowers every `tf.cond` to
Switch / Merge nodes: the untaken branch's nodes still pass through the executor, each marked
dead, one by one. A branch of several hundred nodes that almost never runs then costs every
call a share of its time (on the MovieLens-100K `recommend`, keeping the k >
retrieval_candidates branch of about 600 nodes as a call made a call through the TF2
signature about 7% faster; through a Session the gain was within the noise). Left unlowered,
the `If` op calls only the branch it takes: one function call instead of a dead pass over
the other. Small branches gain nothing (the call costs about what their dead nodes do).
Standard ops only: TF Serving runs an unlowered `If` as it runs any other op.
"""

import tensorflow as tf

_IF_OPS = ("If", "StatelessIf")
_LOWERING_ATTR = "_lower_using_switch_merge"  # read by TensorFlow's LowerFunctionalOpsPass


def cond_as_call(pred, true_fn, false_fn):
    """`tf.cond(pred, true_fn, false_fn)`, its `If` op kept as a call (see the module).

    Args:
        pred: scalar bool tensor.
        true_fn / false_fn: callables returning the same structure of tensors.

    Returns:
        The taken branch's outputs, as `tf.cond` returns them.
    """
    out = tf.cond(pred, true_fn, false_fn)
    if tf.executing_eagerly():
        return out  # eager: nothing is lowered, only the taken branch ran
    from tensorflow.core.framework import attr_value_pb2

    # cond_v2 returns an Identity of each of the If op's outputs.
    for tensor in tf.nest.flatten(out, expand_composites=True):
        source = tensor.op.inputs[0].op if tensor.op.type == "Identity" else tensor.op
        if source.type in _IF_OPS:
            source._set_attr(_LOWERING_ATTR,  # pylint: disable=protected-access
                             attr_value_pb2.AttrValue(b=False))
            break
    return out
