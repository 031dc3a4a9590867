import numpy as np
import pytest
import tensorflow as tf

from rec_model.finite_guard import FiniteGuard, NonFiniteTrainingError, non_finite
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.trainer import train_multi_agent
from tests.rec_model.synthetic import make_data, tiny_config


def test_non_finite_names_nan_and_inf_entries_only():
    logs = {"loss": float("nan"), "loss_cf": 1.0, "alpha_cf": np.float32("inf"),
            "note": "text", "none": None}
    assert non_finite(logs) == ["alpha_cf", "loss"]
    assert non_finite(None) == []


def test_guard_raises_at_the_first_bad_batch_with_stage_epoch_and_batch():
    guard = FiniteGuard("gate")
    guard.on_epoch_begin(2)
    guard.on_train_batch_end(0, {"loss": 1.0})
    with pytest.raises(NonFiniteTrainingError) as err:
        guard.on_train_batch_end(4, {"loss": 1.0, "loss_history": float("inf")})
    e = err.value
    assert (e.stage, e.epoch, e.batch, e.names) == ("gate", 3, 4, ["loss_history"])
    assert "training stage 'gate'" in str(e) and "epoch 3, batch 4" in str(e)
    assert "(agents: history)" in str(e) and "learning_rate" in str(e)
    with pytest.raises(NonFiniteTrainingError, match="at epoch 1: loss"):
        FiniteGuard("pairs").on_epoch_end(0, {"loss": float("nan")})


class _PoisonCf(tf.keras.callbacks.Callback):
    """Makes the CF agent's user table NaN before the first batch."""

    def __init__(self, stage):
        super().__init__()
        self.stage = stage

    def on_train_batch_begin(self, batch, logs=None):
        if self.stage == "pairs":
            cf = self.model.agents[self.model.agent_names.index("cf")]
            cf.user_embeddings.assign(tf.fill(tf.shape(cf.user_embeddings), np.nan))


def test_training_stops_at_a_nan_naming_stage_epoch_and_agent():
    data, text = make_data()
    config = tiny_config(agents=("cf", "history"), epochs=3)
    with pytest.raises(NonFiniteTrainingError) as err:
        train_multi_agent(config, data, text, callbacks=lambda stage: [_PoisonCf(stage)])
    e = err.value
    assert (e.stage, e.epoch, e.batch) == ("pairs", 1, 0)
    assert "loss_cf" in e.names and "agents: cf" in str(e)


def test_only_real_agents_are_named():
    model = MultiAgentModel(tiny_config(agents=("cf", "history")), 30, 24, 8)
    model.set_stage("pairs")
    names = [m.name for m in model.metrics]  # every metric a NaN can reach
    message = str(NonFiniteTrainingError("pairs", 1, 0, names))
    listed = message.split("(agents: ")[1].split(")")[0].split(", ")
    assert set(listed) <= set(model.agent_names)
