import numpy as np
import pytest
import tensorflow as tf

from rec_model.agent_weighting import AgentWeighting


def test_alphas_sum_to_one_and_favour_low_variance_agents():
    w = AgentWeighting(3)
    np.testing.assert_allclose(w.alphas().numpy(), [1 / 3] * 3, rtol=1e-6)
    w.log_variance.assign([0.0, 1.0, -1.0])
    alphas = w.alphas().numpy()
    assert alphas.sum() == pytest.approx(1.0) and alphas[2] > alphas[0] > alphas[1]


def test_objective_ignores_inactive_agents():
    w = AgentWeighting(3)
    w.log_variance.assign([0.5, 0.0, 0.0])
    losses = tf.constant([2.0, 3.0, np.nan])
    got = float(w(losses, tf.constant([True, True, False])))
    assert got == pytest.approx(np.exp(-0.5) * 2 + 0.5 + 3.0)
    with pytest.raises(ValueError, match="num_agents=0"):
        AgentWeighting(0)
