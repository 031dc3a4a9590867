"""The three gate components wire together with the baseline resolver and compile for KFP v2."""

import json
import os

from tfx.dsl.components.common import importer
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner
from tfx.types import standard_artifacts

from components.evaluator.baseline import baseline_model_resolver
from components.evaluator.component import RecsysEvaluator
from components.infra_validator.component import RecsysInfraValidator
from components.pusher.component import RecsysPusher
from components.pusher.config import PusherConfig
from tfx_pipeline import kubeflow_runner


def _gate_nodes():
    examples = importer.Importer(source_uri="gs://b/examples",
                                 artifact_type=standard_artifacts.Examples).with_id("ex")
    model = importer.Importer(source_uri="gs://b/model",
                              artifact_type=standard_artifacts.Model).with_id("model")
    baseline = baseline_model_resolver()
    evaluator = RecsysEvaluator(examples.outputs["result"], model.outputs["result"],
                                baseline.outputs["model"]).with_id("evaluator")
    infra = RecsysInfraValidator(model.outputs["result"],
                                 examples.outputs["result"]).with_id("infra_validator")
    pusher = RecsysPusher(model.outputs["result"],
                          PusherConfig(serving_dir="/models", keep_last_n=2),
                          model_blessing=evaluator.outputs["blessing"],
                          infra_blessing=infra.outputs["blessing"]).with_id("pusher")
    return [examples, model, baseline, evaluator, infra, pusher]


def test_outputs_and_types():
    _, _, baseline, evaluator, infra, pusher = _gate_nodes()
    assert set(baseline.outputs) == {"model", "model_blessing"}
    assert set(evaluator.outputs) == {"blessing", "evaluation"}
    assert evaluator.outputs["blessing"].type is standard_artifacts.ModelBlessing
    assert (set(infra.outputs) == {"blessing"}
            and infra.outputs["blessing"].type is standard_artifacts.InfraBlessing)
    assert set(pusher.outputs) == {"pushed_model"}
    assert pusher.outputs["pushed_model"].type is standard_artifacts.PushedModel
    assert json.loads(pusher.exec_properties["config_json"])["keep_last_n"] == 2


def test_compiles_for_kubeflow_v2(tmp_path):
    out = tmp_path / "gate.json"
    kubeflow_runner._stand_in_unimportable_tfx_components()
    runner = kubeflow_v2_dag_runner.KubeflowV2DagRunner(
        config=kubeflow_v2_dag_runner.KubeflowV2DagRunnerConfig(default_image="img:1"),
        output_dir=str(tmp_path), output_filename=os.path.basename(out))
    runner.run(tfx_pipeline.Pipeline(pipeline_name="gate", pipeline_root="gs://b/root",
                                     components=_gate_nodes()),
               write_out=True)
    spec = json.loads(out.read_text())["pipelineSpec"]
    tasks = spec["root"]["dag"]["tasks"]
    assert {"evaluator", "infra_validator", "pusher"} <= set(tasks)
    assert any("latest_blessed_model_resolver" in name for name in tasks)
    pusher_inputs = tasks["pusher"]["inputs"]["artifacts"]
    assert pusher_inputs["model_blessing"]["taskOutputArtifact"]["producerTask"] == "evaluator"
    assert (pusher_inputs["infra_blessing"]["taskOutputArtifact"]["producerTask"]
            == "infra_validator")
