import numpy as np
import tensorflow as tf

from rec_model import features as F
from rec_model import objectives
from tests.rec_model.synthetic import fitted_model, tiny_config


def _pairs(n=4):
    return {F.USER_INDEX: tf.constant(list(range(n)), tf.int32),
            F.ITEM_INDEX: tf.constant([0, 13, 1, 14][:n], tf.int32),
            F.LOG_SAMPLING_PROBABILITY: tf.constant([-3.0] * n)}


def test_pairs_loss_trains_every_factor_agent_and_records_it():
    model = fitted_model()
    model.set_stage("pairs")
    total, ensemble, regularization = objectives.pairs_loss(model, _pairs())
    assert np.isfinite(float(total)) and float(total) >= float(ensemble) > 0
    assert float(regularization) >= 0
    recorded = {m.name: float(m.result()) for m in model.metrics[1:]}
    factor_agents = [model.agents[i].name for i in model.pair_agents()]
    assert set(recorded) == ({f"loss_{n}" for n in factor_agents}
                             | {f"alpha_{n}" for n in factor_agents})
    assert all(v > 0 for v in recorded.values())


def test_a_model_without_factor_agents_has_no_pairs_objective():
    model = fitted_model(tiny_config(agents=("history",), history_l2=5.0))
    assert [float(x) for x in objectives.pairs_loss(model, _pairs())] == [0.0, 0.0, 0.0]
