import numpy as np
import pytest
import tensorflow as tf

from rec_model import gate_fit
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.trainer import train_multi_agent
from tests.rec_model.synthetic import NUM_ITEMS, NUM_USERS, TEXT_DIM, make_data, small_config


def test_ndcg_at_k_excludes_source_items_and_skips_rows_without_target():
    scores = np.array([[3.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 3.0]])
    source = np.array([[1, 0, 0, 0], [0, 0, 0, 0]], np.float32)
    target = np.array([[0, 1, 0, 0], [0, 0, 0, 0]], np.float32)
    assert gate_fit.ndcg_at_k(scores, source, target, k=2) == pytest.approx(1.0)
    assert gate_fit.ndcg_at_k(scores, source, np.zeros_like(target), k=2) == 0.0


def test_static_gate_gives_every_user_the_same_weights():
    data, text = make_data()
    model = MultiAgentModel(small_config(), NUM_USERS, NUM_ITEMS, TEXT_DIM, text)
    gate_fit.set_static_gate(model, [1.0, 0.0, 3.0, 0.0, 0.0])
    out = model.score_items(tf.range(5, dtype=tf.int64), tf.constant(data.history_matrix()[:5]))
    np.testing.assert_allclose(out["weights"].numpy(), np.tile([0.25, 0.0, 0.75, 0.0, 0.0], (5, 1)), atol=1e-6)
    with pytest.raises(ValueError, match="non-negative"):
        gate_fit.set_static_gate(model, [0.0] * 5)
    with pytest.raises(ValueError, match="5 non-negative"):
        gate_fit.set_static_gate(model, [1.0, 0.0, 3.0, 0.0])


def test_trainer_fits_a_blend_no_worse_than_its_best_agent_on_the_slice():
    data, text = make_data()
    result = train_multi_agent(small_config(), data, text)
    row = next(r for r in result.epochs if r["stage"] == "gate_select")
    best_single = max(v for k, v in row.items() if k.startswith("ndcg_agent:"))
    assert row["ndcg_static"] >= best_single
    assert max(row["ndcg_static"], row["ndcg_gate"]) >= best_single
    weights = result.model.score_items(tf.range(3, dtype=tf.int64), tf.constant(data.history_matrix()[:3]))["weights"]
    assert np.all(np.isfinite(weights.numpy()))
