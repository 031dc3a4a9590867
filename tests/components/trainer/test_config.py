"""TrainerConfig: the launcher choice and its nested settings survive JSON."""

import pytest

from components.trainer.config import TrainerConfig
from components.trainer.tfjob_config import TFJobConfig
from components.trainer.vertex_config import VertexJobConfig


def test_default_is_the_local_launcher():
    config = TrainerConfig()
    assert config.launcher == "local"
    assert config.tfjob == TFJobConfig() and config.vertex == VertexJobConfig()
    assert TrainerConfig.from_json(config.to_json()) == config


def test_nested_launcher_settings_round_trip():
    config = TrainerConfig(workers=4, launcher="vertex", vertex={"project": "p", "image": "img"})
    assert isinstance(config.vertex, VertexJobConfig) and config.vertex.project == "p"
    back = TrainerConfig.from_json(config.to_json())
    assert back == config and back.vertex.image == "img"


def test_errors_name_the_field():
    with pytest.raises(ValueError, match="launcher='slurm' must be one of"):
        TrainerConfig(launcher="slurm")
    with pytest.raises(ValueError, match=r"unknown TrainerConfig.tfjob field\(s\) \['namepsace"):
        TrainerConfig.from_json('{"tfjob": {"namepsace": "ml"}}')
    with pytest.raises(ValueError, match=r"unknown TrainerConfig field\(s\) \['worker'\]"):
        TrainerConfig.from_json('{"worker": 2}')
