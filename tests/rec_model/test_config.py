import pytest

from rec_model.agents.registry import AGENT_NAMES
from rec_model.config import ModelConfig


def test_round_trips_through_json_and_orders_agents_like_the_registry():
    config = ModelConfig(agents=("history", "cf"), embedding_dim=32, neighbours=7)
    assert config.agents == ("cf", "history")
    assert ModelConfig.from_json(config.to_json()) == config
    assert config.num_agents == 2
    assert ModelConfig().agents == AGENT_NAMES


@pytest.mark.parametrize("field, value, message", [
    ("agents", ("cf", "nope"), "subset"),
    ("agents", (), "subset"),
    ("agents", ("cf", "cf"), "twice"),
    ("optimizer", "lamb", "optimizer"),
    ("embedding_dim", 0, "embedding_dim"),
    ("retrieval_candidates", 0, "retrieval_candidates"),
    ("neighbours", -1, "neighbours"),
    ("spectral_rank", -2, "spectral_rank"),
    ("learning_rate", 0.0, "learning_rate"),
    ("cold_temperature", 0.0, "cold_temperature"),
    ("history_l2", -1.0, "history_l2"),
    ("rating_power", -0.5, "rating_power"),
    ("edlae_dropout", 1.0, "edlae_dropout"),
    ("gate_share", 0.5, "gate_share"),
])
def test_invalid_values_are_rejected_with_the_field_name(field, value, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**{field: value})


def test_zero_means_auto_for_size_dependent_settings():
    config = ModelConfig(neighbours=0, spectral_rank=0, history_l2=0.0, epochs=0)
    assert (config.neighbours, config.spectral_rank, config.epochs) == (0, 0, 0)


def test_unknown_json_field_is_rejected():
    with pytest.raises(ValueError, match="unknown ModelConfig field"):
        ModelConfig.from_dict({"agents": ["cf"], "alpha_mode": "softmax"})


def test_config_is_frozen():
    with pytest.raises(Exception):
        ModelConfig().epochs = 3
