"""Every registered agent imports; a new agent needs nothing but its registry entry."""

import numpy as np
import pytest
import tensorflow as tf

from rec_model import config as config_module
from rec_model.agents import registry
from rec_model.agents.base import Agent
from rec_model.trainer import train_multi_agent
from tests.rec_model.synthetic import make_data, tiny_config


@pytest.mark.parametrize("name", registry.AGENT_NAMES)
def test_every_registered_name_imports_an_agent(name):
    cls = registry.agent_class(name)
    assert isinstance(cls, type) and issubclass(cls, Agent)


def test_unknown_name_lists_the_registered_agents():
    with pytest.raises(ValueError, match="unknown agent 'nope'.*'cf'"):
        registry.agent_class("nope")


def test_readers_are_registered_after_their_peers():
    names = list(registry.AGENT_NAMES)
    assert names.index("hybrid") > max(names.index("cf"), names.index("content"))


class PopularityAgent(Agent):
    """A minimal agent: scores every candidate by its popularity, retrieves nothing."""

    def user_state(self, users, peer_states):
        return users.side

    def score(self, state, candidates):
        popularity = tf.gather(self.item_stats.log_popularity, tf.maximum(candidates, 0))
        return popularity + 0.0 * state[:, :1]


def test_a_new_agent_needs_only_its_registry_entry(monkeypatch):
    entry = f"{__name__}:{PopularityAgent.__name__}"
    monkeypatch.setitem(registry._AGENTS, "popularity", entry)
    names = tuple(registry._AGENTS)  # what AGENT_NAMES is when the line is in the file
    monkeypatch.setattr(registry, "AGENT_NAMES", names)
    monkeypatch.setattr(config_module, "AGENT_NAMES", names)
    data, text = make_data()
    result = train_multi_agent(tiny_config(agents=("cf", "popularity")), data, text)
    model = result.model
    assert model.agent_names == ["cf", "popularity"]
    assert set(result.final_alpha) == {"cf", "popularity"}
    assert "agent:popularity" in result.gate
    users = model.users(tf.constant([0, 1], tf.int32))
    seen, _ = model.histories.rows(tf.constant([0, 1], tf.int32))
    _, scores, contributions = model.recommend_indices(users, tf.constant(3), seen, seen)
    assert contributions.shape == (2, 3, 2)
    assert np.all(np.isfinite(scores.numpy()))
