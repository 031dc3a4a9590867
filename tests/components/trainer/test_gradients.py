import numpy as np

from components.trainer.gradients import gradient_kinds
from rec_model import features as F
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.warm_start import build_weights
from tests.components.trainer import helpers


def test_user_embedding_gradients_are_indexed_slices():
    config = helpers.tiny_model_config()
    model = build_weights(MultiAgentModel(config, 30, 20, 8, np.random.default_rng(0).normal(size=(20, 8))))
    history = (np.random.default_rng(1).random((4, 20)) > 0.6).astype(np.float32)
    kinds = gradient_kinds(model, {F.USER_INDEX: np.arange(4, dtype=np.int64), F.HISTORY_WEIGHTS: history})
    sparse = [name for name, kind in kinds if kind == "IndexedSlices"]
    assert sparse.count("user_embeddings:0") == 2  # CF and hybrid user tables: only the batch's rows
    assert ("item_embeddings:0", "Tensor") in kinds  # item tables are scored against the whole catalogue
