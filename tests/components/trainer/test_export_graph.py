"""The exported `recommend` graph reads its tables the cheap way (saved_model.pb structure)."""

import collections
import os

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from components.model_layout import SERVING_SUBDIR
from components.trainer.export import export_serving_model
from rec_model.interactions import Interactions
from rec_model.warm_start import build_weights
from tests.components.trainer import helpers
from tests.rec_model.synthetic import fitted_model

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

    wrapper = next(n for n in library if n.startswith(f"__inference_signature_wrapper_{signature}_")
                   and not n[len(f"__inference_signature_wrapper_{signature}_"):][:1].isalpha())
    return reads(wrapper)


def _read_by_row_and_whole(reads):
    return {arg: ops for arg, ops in reads.items()
            if "ResourceGather" in ops and "ReadVariableOp" in ops}


def test_no_served_table_is_gathered_as_a_variable_and_also_read_whole(exported, tmp_path):
    # A ResourceGather switches a variable to copy-on-read for good; each whole read (the
    # brute-force scan) would then copy the table, per request.
    trained = os.path.join(exported["model_dir"], SERVING_SUBDIR)
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(40), 6)
    data = Interactions(users, rng.integers(0, 24, users.size), 40, 30, rng.random(users.size))
    text = rng.normal(size=(30, 8)).astype(np.float32)  # items 24-29: cold, with text
    model = build_weights(fitted_model(helpers.tiny_model_config(), data, text))
    assert model.agents[model.agent_names.index("content")].num_cold == 6
    small = export_serving_model(model, [f"u{i}" for i in range(model.num_users)],
                                 [f"i{i}" for i in range(model.num_items)], str(tmp_path / "m"))
    for path in (trained, small):
        reads = table_reads(path)
        assert any("ReadVariableOp" in ops for ops in reads.values())  # tables read whole
        assert any("ResourceGather" in ops for ops in reads.values())  # and others by row
        assert _read_by_row_and_whole(reads) == {}, path
