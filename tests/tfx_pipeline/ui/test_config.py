"""Tests of tfx_pipeline/ui/config.py."""

import pytest

from tfx_pipeline.ui.config import UiConfig


def test_json_round_trip_and_unknown_fields_named():
    config = UiConfig(pipeline_root="r", server="127.0.0.1:8500", port=0)
    assert UiConfig.from_json(config.to_json()) == config
    with pytest.raises(
        ValueError,
        match=r"unknown UiConfig field\(s\) \['colour'\]; known fields: .*pipeline_root",
    ):
        UiConfig.from_dict({"pipeline_root": "r", "colour": "blue"})


@pytest.mark.parametrize(
    "fields, message",
    [
        ({}, "--pipeline-root"),
        ({"pipeline_root": "r", "port": 70000}, "port"),
        ({"pipeline_root": "r", "timeout_s": 0}, "timeout_s"),
        ({"pipeline_root": "r", "pool": 0}, "pool"),
        ({"pipeline_root": "r", "server": "localhost"}, "HOST:PORT"),
    ],
)
def test_bad_values_say_what_to_fix(fields, message):
    with pytest.raises(ValueError, match=message):
        UiConfig(**fields)


def test_loopback_by_default():
    assert UiConfig(pipeline_root="r").is_loopback
    assert UiConfig(pipeline_root="r", host="localhost").is_loopback
    assert UiConfig(pipeline_root="r", host="::1").is_loopback
    assert not UiConfig(pipeline_root="r", host="0.0.0.0").is_loopback


def test_logs_beside_the_pipeline_root_are_found(tmp_path):
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "feedback").mkdir()
    (tmp_path / "simulation.json").write_text("{}")
    found = UiConfig(pipeline_root=str(tmp_path / "pipeline")).with_discovered_paths()
    assert found.feedback_dir == str(tmp_path / "feedback")
    assert found.simulation_path == str(tmp_path / "simulation.json")
    assert found.request_log_dir == ""  # absent: stays off
    given = UiConfig(
        pipeline_root=str(tmp_path / "pipeline"), feedback_dir="elsewhere"
    ).with_discovered_paths()
    assert given.feedback_dir == "elsewhere"
