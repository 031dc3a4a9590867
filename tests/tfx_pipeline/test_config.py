import pytest

from tfx_pipeline.config import (AUTO_PRETRAIN_MAX_ITEMS, PipelineConfig, runs_stage,
                                 should_pretrain)


def test_push_needs_a_serving_dir():
    with pytest.raises(ValueError, match="serving_dir"):
        PipelineConfig("data", "root")
    assert PipelineConfig("data", "root", "models").last_stage == "push"


@pytest.mark.parametrize("kwargs", [dict(pretrain="maybe"), dict(last_stage="deploy"),
                                    dict(data_root="")])
def test_rejects_bad_values(kwargs):
    base = dict(data_root="data", pipeline_root="root", serving_dir="models")
    with pytest.raises(ValueError):
        PipelineConfig(**{**base, **kwargs})


def test_stages_are_ordered():
    config = PipelineConfig("data", "root", last_stage="train")
    assert runs_stage(config, "transform") and runs_stage(config, "train")
    assert not runs_stage(config, "evaluate") and not runs_stage(config, "push")


def test_auto_pretraining_only_for_small_catalogues():
    assert should_pretrain("auto", 1682)
    assert not should_pretrain("auto", AUTO_PRETRAIN_MAX_ITEMS + 1)
    assert not should_pretrain("auto", None)
    assert should_pretrain("on", 10**6) and not should_pretrain("off", 10)


def test_beam_args_are_frozen_and_serialisable():
    config = PipelineConfig("d", "r", "s", beam_pipeline_args=["--runner=DirectRunner"])
    assert config.beam_pipeline_args == ("--runner=DirectRunner",)
    assert '"--runner=DirectRunner"' in config.to_json()
