import json

from tfx_pipeline import kubeflow_runner
from tfx_pipeline.config import PipelineConfig


def test_compiles_every_component_with_image_and_parameters(tmp_path):
    out = str(tmp_path / "pipeline.json")
    kubeflow_runner.compile_pipeline(
        image="gcr.io/proj/recsys:1.0",
        out=out,
        config=PipelineConfig(
            "gs://bucket/data", "gs://bucket/root", last_stage="transform",
            beam_pipeline_args=("--runner=DataflowRunner", "--region=europe-west4"),
        ),
    )
    spec = json.load(open(out))["pipelineSpec"]
    executors = spec["deploymentSpec"]["executors"]
    assert set(executors) == {"example_gen_executor", "transform_executor"}
    for executor in executors.values():
        assert executor["container"]["image"] == "gcr.io/proj/recsys:1.0"
        assert "--runner=DataflowRunner" in executor["container"]["args"]
    assert ("components.example_gen.executor.Executor"
            in executors["example_gen_executor"]["container"]["args"])
    params = spec["root"]["dag"]["tasks"]["example_gen"]["inputs"]["parameters"]
    assert (params["input_base"]["runtimeValue"]["constantValue"]["stringValue"]
            == "gs://bucket/data")
    assert json.loads(params["config_json"]["runtimeValue"]["constantValue"]
                      ["stringValue"])["split_mode"] == "user_time"
    transform_inputs = spec["root"]["dag"]["tasks"]["transform"]["inputs"]["artifacts"]
    assert transform_inputs["examples"]["taskOutputArtifact"]["producerTask"] == "example_gen"


def test_full_pipeline_compiles_with_every_stage(tmp_path):
    out = str(tmp_path / "full.json")
    kubeflow_runner.compile_pipeline(
        image="europe-docker.pkg.dev/p/r/recsys:2",
        out=out,
        config=PipelineConfig("gs://b/data", "gs://b/root", serving_dir="gs://b/serving",
                              pretrain="on"),
    )
    spec = json.load(open(out))["pipelineSpec"]
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {
        "example_gen", "transform", "domain_pretrainer", "text_embedder",
        # KFP v2 compiles TFX's latest-blessed-model resolver into two resolver tasks.
        "latest_blessed_model_resolver-model-resolver",
        "latest_blessed_model_resolver-model-blessing-resolver",
        "trainer", "evaluator", "infra_validator", "pusher",
    }
    executors = spec["deploymentSpec"]["executors"]
    images = {e["container"]["image"] for e in executors.values() if "container" in e}
    assert images == {"europe-docker.pkg.dev/p/r/recsys:2"}
    assert (tasks["text_embedder"]["inputs"]["artifacts"]["backbone_preset"]
            ["taskOutputArtifact"]["producerTask"] == "domain_pretrainer")
    assert (tasks["pusher"]["inputs"]["artifacts"]["model_blessing"]["taskOutputArtifact"]
            ["producerTask"] == "evaluator")
    assert (tasks["pusher"]["inputs"]["artifacts"]["infra_blessing"]["taskOutputArtifact"]
            ["producerTask"] == "infra_validator")
    pusher_params = tasks["pusher"]["inputs"]["parameters"]
    assert json.loads(pusher_params["config_json"]["runtimeValue"]["constantValue"]
                      ["stringValue"])["serving_dir"] == "gs://b/serving"
    trainer_config = json.loads(tasks["trainer"]["inputs"]["parameters"]["trainer_config_json"]
                                ["runtimeValue"]["constantValue"]["stringValue"])
    assert trainer_config["workers"] == 1


def test_cluster_launcher_reaches_the_trainer_and_needs_a_shared_root(tmp_path):
    import pytest

    from components.trainer.config import TrainerConfig

    trainer = TrainerConfig(workers=4, launcher="tfjob", tfjob={"image": "gcr.io/p/recsys:3"})
    out = str(tmp_path / "p.json")
    kubeflow_runner.compile_pipeline("gcr.io/p/recsys:3", out, PipelineConfig(
        "gs://b/data", "gs://b/root", last_stage="train", pretrain="off"), trainer_config=trainer)
    tasks = json.load(open(out))["pipelineSpec"]["root"]["dag"]["tasks"]
    param = tasks["trainer"]["inputs"]["parameters"]["trainer_config_json"]
    compiled = TrainerConfig.from_json(param["runtimeValue"]["constantValue"]["stringValue"])
    assert compiled == trainer
    with pytest.raises(ValueError, match="pipeline root 'out/root'"):
        kubeflow_runner.compile_pipeline("i", out, PipelineConfig("gs://b/data", "out/root",
                                                                  last_stage="train"),
                                         trainer_config=trainer)
