"""The exported `recommend` graph reads its tables the cheap way (saved_model.pb structure)."""

import os

import numpy as np

from components.model_layout import SERVING_SUBDIR
from components.trainer.export import export_serving_model
from rec_model.interactions import Interactions
from rec_model.warm_start import build_weights
from tests.components.trainer import helpers
from tests.rec_model.synthetic import fitted_model
from tests.saved_model_graph import read_by_row_and_whole, table_reads


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
        assert read_by_row_and_whole(path) == {}, path
