"""The interface every agent honours (agents/base.py), checked on each registered agent."""

import numpy as np
import pytest
import tensorflow as tf

from rec_model.agents.registry import AGENT_NAMES
from rec_model.candidates import PAD
from tests.rec_model.synthetic import COLD_ITEMS, NUM_ITEMS, ragged

EXCLUDE = [[0, 1, *COLD_ITEMS], [12, *COLD_ITEMS], [*COLD_ITEMS], []]


def _batch(model):
    """Two known users, an unknown user with a request history, an unknown user with none."""
    index = tf.constant([0, 1, -1, -1], tf.int32)
    users = model.users(index, request_items=ragged([[], [], [0, 2], []]))
    return users, model.states(users)


def _candidates():
    return tf.constant([[0, 5, 12, PAD, PAD], [3, 15, 22, 1, PAD], [PAD] * 5, [7, 7, 8, 9, 10]],
                       tf.int32)


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_score_shape_and_finite_values_with_pad_candidates(fitted, name):
    model, _, _ = fitted
    agent = model.agents[model.agent_names.index(name)]
    users, states = _batch(model)
    scores = agent.score(states[name], _candidates()).numpy()
    assert scores.shape == (4, 5) and scores.dtype == np.float32
    assert np.all(np.isfinite(scores))
    repeated = scores[3]
    assert repeated[0] == repeated[1]  # the same item scores the same within a row


def test_history_agent_gives_pad_candidates_zero(fitted):
    model, _, _ = fitted
    users, states = _batch(model)
    scores = model.agents[model.agent_names.index("history")].score(states["history"],
                                                                   _candidates()).numpy()
    assert np.all(scores[_candidates().numpy() == PAD] == 0)
    assert np.all(scores[3] == 0)  # no history, no signal


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_retrieve_returns_valid_ids_not_in_exclude(fitted, name):
    model, _, _ = fitted
    agent = model.agents[model.agent_names.index(name)]
    users, states = _batch(model)
    found = agent.retrieve(states[name], tf.constant(6), ragged(EXCLUDE))
    if found is None:
        return  # agents without retrieval may decline
    found = found.numpy()
    assert found.shape[0] == 4 and found.shape[1] <= 6
    assert found.dtype == np.int32
    assert np.all((found >= PAD) & (found < NUM_ITEMS))
    for row, excluded in zip(found, EXCLUDE):
        real = row[row >= 0]
        assert not set(real.tolist()) & set(excluded)
        assert len(set(real.tolist())) == len(real)


def test_retrieving_agents_retrieve(fitted):
    model, _, _ = fitted
    users, states = _batch(model)
    no_exclude = ragged([[], [], [], []])
    found = {a.name: a.retrieve(states[a.name], tf.constant(6), no_exclude) for a in model.agents}
    assert {n for n, f in found.items() if f is not None} == {"cf", "content", "history"}
    assert np.all(found["cf"].numpy() >= 0)  # brute force over the catalogue fills every row


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_indexed_variables_are_item_or_user_indexed(fitted, name):
    model, _, _ = fitted
    agent = model.agents[model.agent_names.index(name)]
    for variable, axes in agent.indexed_variables():
        size = {"user": model.num_users, "item": model.num_items}[axes[0]]
        assert variable.shape[0] == size
        assert variable.shape.rank == len(axes)
