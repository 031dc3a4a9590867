import pytest

from rec_model.config import ModelConfig


def test_defaults_round_trip_through_json():
    config = ModelConfig(agents=("cf", "history"), embedding_dim=32, alpha_mode="softmax")
    assert ModelConfig.from_json(config.to_json()) == config
    assert config.num_agents == 2


@pytest.mark.parametrize("field, value, message", [
    ("agents", ("cf", "nope"), "subset"),
    ("agents", (), "subset"),
    ("agents", ("cf", "cf"), "twice"),
    ("alpha_mode", "mean", "alpha_mode"),
    ("negatives", "sampled", "negatives"),
    ("optimizer", "lamb", "optimizer"),
    ("embedding_dim", 0, "embedding_dim"),
    ("learning_rate", 0.0, "learning_rate"),
    ("history_dropout", 1.0, "history_dropout"),
    ("gate_share", 1.0, "gate_share"),
    ("alpha_floor", 0.3, "alpha_floor"),
    ("delta_l2", -1.0, "delta_l2"),
])
def test_invalid_values_are_rejected_with_the_field_name(field, value, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**{field: value})


def test_unknown_json_field_is_rejected():
    with pytest.raises(ValueError, match="unknown ModelConfig field"):
        ModelConfig.from_dict({"agents": ["cf"], "dimension": 3})


def test_config_is_frozen():
    with pytest.raises(Exception):
        ModelConfig().epochs = 3
