import json
import os

import pytest
from tfx.types import standard_artifacts

from components.pusher import executor, push
from components.pusher.config import PusherConfig
from tests.components.pusher.test_push import _saved_model


@pytest.fixture
def model(tmp_path):
    artifact = standard_artifacts.Model()
    artifact.uri = str(tmp_path / "model")
    artifact.id = 42
    _saved_model(os.path.join(artifact.uri, "Format-Serving"))
    return artifact


def _blessing(cls, tmp_path, name, blessed=None, marker=None):
    artifact = cls()
    artifact.uri = str(tmp_path / name)
    os.makedirs(artifact.uri)
    if blessed is not None:
        artifact.set_int_custom_property("blessed", blessed)
    if marker:
        open(os.path.join(artifact.uri, marker), "w").close()
    return artifact


def run(tmp_path, model, model_blessing=None, infra_blessing=None, keep_last_n=3):
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / f"pushed-{len(os.listdir(tmp_path))}")
    inputs = {"model": [model]}
    if model_blessing is not None:
        inputs["model_blessing"] = [model_blessing]
    if infra_blessing is not None:
        inputs["infra_blessing"] = [infra_blessing]
    config = PusherConfig(serving_dir=str(tmp_path / "serving"), model_name="recsys",
                          keep_last_n=keep_last_n)
    executor.Executor().Do(inputs, {"pushed_model": [pushed]}, {"config_json": config.to_json()})
    return pushed


def test_pushes_when_both_blessings_hold(tmp_path, model):
    pushed = run(tmp_path, model, _blessing(standard_artifacts.ModelBlessing, tmp_path, "mb", 1),
                 _blessing(standard_artifacts.InfraBlessing, tmp_path, "ib", 1))
    assert pushed.get_int_custom_property("pushed") == 1
    version = pushed.get_string_custom_property("pushed_version")
    destination = pushed.get_string_custom_property("pushed_destination")
    assert destination == str(tmp_path / "serving" / "recsys" / version)
    assert os.path.exists(os.path.join(destination, "saved_model.pb"))
    assert pushed.get_int_custom_property("pushed_model_id") == 42
    with open(os.path.join(pushed.uri, "push.json")) as f:
        assert json.load(f)["version"] == int(version)
    assert os.path.exists(os.path.join(pushed.uri, "PUSHED"))


@pytest.mark.parametrize("model_flag,infra_flag,blocker", [(0, 1, "model_blessing"),
                                                           (1, 0, "infra_blessing"),
                                                           (0, 0, "model_blessing")])
def test_refuses_when_a_blessing_is_negative(tmp_path, model, model_flag, infra_flag, blocker):
    mb = _blessing(standard_artifacts.ModelBlessing, tmp_path, "mb", model_flag)
    mb.set_string_custom_property("blessing_message", "NOT blessed: worse than baseline")
    pushed = run(tmp_path, model, mb,
                 _blessing(standard_artifacts.InfraBlessing, tmp_path, "ib", infra_flag))
    assert pushed.get_int_custom_property("pushed") == 0
    message = pushed.get_string_custom_property("push_message")
    assert blocker in message
    assert os.path.exists(os.path.join(pushed.uri, "NOT_PUSHED"))
    assert push.existing_versions(str(tmp_path / "serving" / "recsys")) == []


def test_blessing_without_property_falls_back_to_its_marker_file(tmp_path, model):
    yes = _blessing(standard_artifacts.ModelBlessing, tmp_path, "yes", marker="BLESSED")
    no = _blessing(standard_artifacts.InfraBlessing, tmp_path, "no", marker="INFRA_NOT_BLESSED")
    assert run(tmp_path, model, yes, no).get_int_custom_property("pushed") == 0
    assert run(tmp_path, model, yes).get_int_custom_property("pushed") == 1


def test_repeated_pushes_keep_the_last_n(tmp_path, model):
    blessed = _blessing(standard_artifacts.ModelBlessing, tmp_path, "mb", 1)
    versions = [int(run(tmp_path, model, blessed, keep_last_n=2)
                    .get_string_custom_property("pushed_version"))
                for _ in range(3)]
    assert versions == sorted(set(versions))
    assert push.existing_versions(str(tmp_path / "serving" / "recsys")) == versions[-2:]
