"""Tests of the batch_scorer component and executor (no pipeline run)."""

import json
import os
import shutil

from tfx.types import standard_artifacts

from components.batch_scorer import executor
from components.batch_scorer.component import BatchScorer
from components.batch_scorer.config import BatchScoreConfig
from tests.components.batch_scorer.conftest import write_examples


def _artifact(cls, uri):
    a = cls()
    a.uri = str(uri)
    return a


def test_executor_scores_every_train_user_into_inference_result(standin_base, tmp_path):
    model_uri = tmp_path / "model"
    shutil.copytree(os.path.join(standin_base, "1"), model_uri / "Format-Serving")
    examples = write_examples(tmp_path / "examples",
                              {"train": [("u1", "i0"), ("u2", "i1"), ("u2", "i2")],
                               "eval": [("u9", "i3")]})
    result = _artifact(standard_artifacts.InferenceResult, tmp_path / "result")
    executor.Executor().Do(
        {"model": [_artifact(standard_artifacts.Model, model_uri)],
         "examples": [_artifact(standard_artifacts.Examples, examples)]},
        {"inference_result": [result]},
        {"config_json": BatchScoreConfig(k=4).to_json()},
    )
    with open(os.path.join(result.uri, executor.RECOMMENDATIONS_FILE), encoding="utf-8") as f:
        rows = {r["user_id"]: r for r in map(json.loads, f)}
    assert set(rows) == {"u1", "u2"}
    assert not {"i1", "i2"} & set(rows["u2"]["item_ids"])
    assert result.get_int_custom_property("users_scored") == 2
    assert result.get_int_custom_property("bad_user_ids") == 0


def test_component_wires_standard_artifact_types():
    from tfx.types import channel

    component = BatchScorer(model=channel.Channel(type=standard_artifacts.Model),
                            examples=channel.Channel(type=standard_artifacts.Examples),
                            config=BatchScoreConfig(k=3))
    assert component.outputs["inference_result"].type is standard_artifacts.InferenceResult
    assert json.loads(component.exec_properties["config_json"])["k"] == 3
