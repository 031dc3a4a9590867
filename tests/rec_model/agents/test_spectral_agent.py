import numpy as np
import pytest
import tensorflow as tf

from rec_model import closed_form
from rec_model.agents.spectral_agent import SpectralAgent
from rec_model.config import ModelConfig
from rec_model.trainer import train_multi_agent
from tests.rec_model.synthetic import NUM_ITEMS, make_data, small_config


def test_scores_are_history_times_the_filter_and_config_round_trips():
    x = make_data()[0].history_matrix()
    agent = SpectralAgent(NUM_ITEMS, rank=4)
    matrix = closed_form.spectral_filter(x, 4)
    agent.set_filter(matrix)
    np.testing.assert_allclose(agent.scores(tf.constant(x[:3])).numpy(), x[:3] @ matrix, rtol=1e-5, atol=1e-6)
    assert agent.trainable_weights == [] and [v.name for v, _ in agent.indexed_variables()] == [agent.filter.name]
    assert SpectralAgent.from_config(agent.get_config()).get_config() == agent.get_config()
    with pytest.raises(ValueError, match="rank"):
        SpectralAgent(NUM_ITEMS, rank=0)


def test_a_new_user_is_scored_from_the_request_history():
    x = make_data()[0].history_matrix()
    agent = SpectralAgent(NUM_ITEMS, rank=4)
    agent.set_filter(closed_form.spectral_filter(x, 4))
    # Planted communities: a history of items 0-4 points at the rest of items 0-19.
    history = np.zeros((1, NUM_ITEMS), np.float32)
    history[0, :5] = 1.0
    scores = agent.scores(tf.constant(history)).numpy()[0]
    assert scores[5:20].mean() > scores[20:].mean()


def test_trainer_sets_the_filter_and_the_config_rejects_rank_zero():
    data, text = make_data()
    result = train_multi_agent(small_config(agents=("cf", "spectral"), epochs=1), data, text)
    filt = result.model.spectral_agent.filter.numpy()
    assert filt.shape == (NUM_ITEMS, NUM_ITEMS) and np.abs(filt).sum() > 0
    assert set(result.final_alpha) == {"cf", "spectral"}
    with pytest.raises(ValueError, match="spectral_rank"):
        ModelConfig(spectral_rank=0)
