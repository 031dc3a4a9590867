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
    assert "components.example_gen.executor.Executor" in executors["example_gen_executor"]["container"]["args"]
    params = spec["root"]["dag"]["tasks"]["example_gen"]["inputs"]["parameters"]
    assert params["input_base"]["runtimeValue"]["constantValue"]["stringValue"] == "gs://bucket/data"
    assert json.loads(params["config_json"]["runtimeValue"]["constantValue"]["stringValue"])["split_mode"] == "user_time"
    transform_inputs = spec["root"]["dag"]["tasks"]["transform"]["inputs"]["artifacts"]
    assert transform_inputs["examples"]["taskOutputArtifact"]["producerTask"] == "example_gen"
