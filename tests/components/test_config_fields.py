"""Every component config reads JSON through one helper that names unknown fields."""

import pytest

from components.batch_scorer.config import BatchScoreConfig
from components.domain_pretrainer.config import PretrainerConfig
from components.evaluator.config import EvaluatorConfig
from components.example_gen.config import ExampleGenConfig
from components.infra_validator.config import InfraValidatorConfig
from components.pusher.config import PusherConfig
from components.text_embedder.config import EmbedderConfig
from components.trainer.config import TrainerConfig

CONFIGS = (BatchScoreConfig, PretrainerConfig, EvaluatorConfig, ExampleGenConfig,
           InfraValidatorConfig, PusherConfig, EmbedderConfig, TrainerConfig)


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_round_trip_defaults_and_unknown_fields(cls):
    config = cls(serving_dir="/models") if cls is PusherConfig else cls()
    assert cls.from_json(config.to_json()) == config
    if cls is not PusherConfig:  # the one config without a default for every field
        assert cls.from_json("") == config
    with pytest.raises(ValueError, match=rf"unknown {cls.__name__} field\(s\) \['no_such'\]"):
        cls.from_json('{"no_such": 1}')
    with pytest.raises(ValueError, match="JSON object"):
        cls.from_json("[1]")
