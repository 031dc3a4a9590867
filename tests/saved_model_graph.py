"""What reads each table of a SavedModel's signature (saved_model.pb structure), for tests."""

import collections
import os

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

_CALLS = {"If": ("then_branch", "else_branch"), "StatelessIf": ("then_branch", "else_branch"),
          "While": ("cond", "body"), "StatelessWhile": ("cond", "body"),
          "PartitionedCall": ("f",), "StatefulPartitionedCall": ("f",)}


def table_reads(path, signature="recommend"):
    """{resource argument of the signature's function: op types reading it}, followed through
    function calls, branches, loops and Identity nodes."""
    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    library = {f.signature.name: f for f in proto.meta_graphs[0].graph_def.library.function}
    memo = {}

    def reads(name):
        if name not in memo:
            function, out = library[name], collections.defaultdict(set)
            alias = {a.name: a.name for a in function.signature.input_arg
                     if a.type == tf.resource.as_datatype_enum}
            for node in function.node_def:
                inputs = [i.split(":")[0] for i in node.input if not i.startswith("^")]
                if node.op == "Identity" and inputs and inputs[0] in alias:
                    alias[node.name] = alias[inputs[0]]
                    continue
                offset = 1 if node.op.endswith("If") else 0  # an If's first input is its cond
                for position, source in enumerate(inputs):
                    if source not in alias:
                        continue
                    if node.op not in _CALLS:
                        out[alias[source]].add(node.op)
                        continue
                    for attr in _CALLS[node.op]:
                        callee = library[node.attr[attr].func.name]
                        if position >= offset:
                            arg = callee.signature.input_arg[position - offset].name
                            out[alias[source]] |= reads(callee.signature.name).get(arg, set())
            memo[name] = dict(out)
        return memo[name]

    prefix = f"__inference_signature_wrapper_{signature}_"
    wrapper = next(n for n in library  # recommend_123, not recommend_include_seen_456
                   if n.startswith(prefix) and not n[len(prefix):][:1].isalpha())
    return reads(wrapper)


def read_by_row_and_whole(path, signature="recommend"):
    """The tables both gathered as variables (ResourceGather) and read whole (ReadVariableOp):
    after one such gather every whole read copies the table (copy-on-read mode)."""
    return {arg: ops for arg, ops in table_reads(path, signature).items()
            if "ResourceGather" in ops and "ReadVariableOp" in ops}
