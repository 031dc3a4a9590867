"""The resolver feeds the evaluator the last blessed model across LocalDagRunner runs."""

import os

import ml_metadata as mlmd
import pytest
from tfx.dsl.components.common import importer
from tfx.orchestration import metadata
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.orchestration.local.local_dag_runner import LocalDagRunner
from tfx.types import standard_artifacts

from components.evaluator.baseline import baseline_model_resolver
from components.evaluator.component import RecsysEvaluator
from components.evaluator.config import EvaluatorConfig
from tests.components.evaluator import standin_data


def _run(root, examples_uri, model_uri):
    examples = importer.Importer(source_uri=examples_uri,
                                 artifact_type=standard_artifacts.Examples).with_id("examples")
    model = importer.Importer(source_uri=model_uri,
                              artifact_type=standard_artifacts.Model).with_id("model")
    baseline = baseline_model_resolver()
    evaluator = RecsysEvaluator(examples.outputs["result"], model.outputs["result"],
                                baseline.outputs["model"],
                                EvaluatorConfig(ks=(10,), per_agent=False)).with_id("evaluator")
    LocalDagRunner().run(tfx_pipeline.Pipeline(
        pipeline_name="evaluator-test", pipeline_root=os.path.join(root, "root"),
        components=[examples, model, baseline, evaluator], enable_cache=False,
        metadata_connection_config=metadata.sqlite_metadata_connection_config(
            os.path.join(root, "mlmd.sqlite"))))
    store = mlmd.MetadataStore(metadata.sqlite_metadata_connection_config(
        os.path.join(root, "mlmd.sqlite")))
    newest = max(store.get_artifacts_by_type("ModelBlessing"), key=lambda a: a.id)
    return store, newest.custom_properties


@pytest.mark.slow  # two LocalDagRunner runs: about a minute on a loaded machine
def test_second_run_is_gated_against_the_first_blessed_model(tmp_path):
    examples = standin_data.write_examples(tmp_path / "examples", *standin_data.standin_rows())
    good = standin_data.export_model(tmp_path / "good", **standin_data.GOOD)
    bad = standin_data.export_model(tmp_path / "bad", **standin_data.BAD)

    store, first = _run(str(tmp_path), examples.uri, good.uri)
    assert first["blessed"].int_value == 1 and "baseline_model_id" not in first
    good_id = first["current_model_id"].int_value

    _, second = _run(str(tmp_path), examples.uri, bad.uri)
    assert second["blessed"].int_value == 0
    assert second["baseline_model_id"].int_value == good_id
    assert "baseline" in second["blessing_message"].string_value
