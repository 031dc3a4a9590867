import os

import pytest
from tfx.types import standard_artifacts

from components.infra_validator import executor, validation
from components.infra_validator.config import InfraValidatorConfig
from tests.components.evaluator import standin_data

CONFIG = InfraValidatorConfig(num_requests=3, batch_size=4, k=10, timeout_seconds=90,
                              binary="python")


@pytest.fixture
def servers(monkeypatch):
    """Records every server process the validator starts."""
    handles = []
    real = validation.start_model_server

    def spy(*args, **kwargs):
        handles.append(real(*args, **kwargs))
        return handles[-1]

    monkeypatch.setattr(validation, "start_model_server", spy)
    return handles


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return standin_data.write_examples(tmp_path_factory.mktemp("examples"),
                                       *standin_data.standin_rows())


def run(tmp_path, model, examples=None, config=CONFIG):
    blessing = standard_artifacts.InfraBlessing()
    blessing.uri = str(tmp_path / "blessing")
    inputs = {"model": [model]}
    if examples is not None:
        inputs["examples"] = [examples]
    executor.Executor().Do(inputs, {"blessing": [blessing]}, {"config_json": config.to_json()})
    return blessing


def _files(blessing):
    return set(os.listdir(blessing.uri)) & {"INFRA_BLESSED", "INFRA_NOT_BLESSED"}


def _assert_stopped(handles):
    assert handles, "no server was started"
    for handle in handles:
        assert handle.process.poll() is not None, f"server pid {handle.process.pid} still running"


def test_standin_is_blessed_and_the_server_is_stopped(tmp_path, examples, servers):
    blessing = run(tmp_path, standin_data.export_model(tmp_path / "model", **standin_data.GOOD),
                   examples)
    message = blessing.get_string_custom_property("validation_message")
    assert blessing.get_int_custom_property("blessed") == 1, message
    assert _files(blessing) == {"INFRA_BLESSED"}
    assert blessing.get_int_custom_property("requests_ok") == 3
    assert blessing.get_string_custom_property("server_kind") == "python"
    assert os.path.getsize(os.path.join(blessing.uri, "server.log")) > 0
    _assert_stopped(servers)


def test_truncated_saved_model_is_not_blessed_without_raising(tmp_path, examples, servers):
    model = standin_data.export_model(tmp_path / "model", **standin_data.GOOD)
    pb = os.path.join(model.uri, "Format-Serving", "saved_model.pb")
    with open(pb, "rb") as f:
        head = f.read(200)
    with open(pb, "wb") as f:
        f.write(head)
    blessing = run(tmp_path, model, examples)
    assert blessing.get_int_custom_property("blessed") == 0
    assert _files(blessing) == {"INFRA_NOT_BLESSED"}
    assert "load" in blessing.get_string_custom_property("validation_message")
    _assert_stopped(servers)


def test_missing_model_is_not_blessed(tmp_path, servers):
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "nothing")
    blessing = run(tmp_path, model)
    assert blessing.get_int_custom_property("blessed") == 0
    assert "Format-Serving" in blessing.get_string_custom_property("validation_message")
    assert servers == []
