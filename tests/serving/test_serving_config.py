"""models.config / batching files, `recsys serving-config`, deploy manifests, metrics text."""

import pathlib

import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving.metrics import Metrics
from serving.model_config import ServedModel, parse_text, to_text

DEPLOY = pathlib.Path(__file__).resolve().parents[2] / "serving" / "deploy"


def test_cli_writes_files_tf_serving_parses(tmp_path, capsys):
    from tfx_pipeline.cli.main import main

    code = main(["serving-config", "--model-name", "recsys", "--base-path", "/models/recsys",
                 "--model-name", "shadow", "--base-path", "/models/shadow",
                 "--label", "recsys:stable=3", "--num-versions", "2", "--out", str(tmp_path),
                 "--batching", "--max-batch-size", "64"])
    assert code == 0 and "--model_config_file=/config/models.config" in capsys.readouterr().out
    proto = text_format.Parse((tmp_path / "models.config").read_text(),
                              model_server_config_pb2.ModelServerConfig())
    first, second = proto.model_config_list.config
    assert (first.name, first.base_path, first.model_platform) == (
        "recsys", "/models/recsys", "tensorflow")
    assert (first.model_version_policy.latest.num_versions == 2
            and dict(first.version_labels) == {"stable": 3})
    assert second.name == "shadow" and not second.version_labels
    assert "max_batch_size { value: 64 }" in (tmp_path / "batching_parameters.txt").read_text()


@pytest.mark.parametrize("spec", ["recsys:stable", "recsys:stable=x", "recsys:stable=\u00b2"])
def test_a_label_without_an_ascii_version_gets_the_flags_message(spec):
    from tfx_pipeline.cli.serving_config_cmd import _labels

    with pytest.raises(ValueError, match="must look like MODEL:LABEL=VERSION"):
        _labels([spec], "recsys")


def test_model_config_parsing_and_validation():
    configs = [ServedModel("a", "/m/a", policy="all"),
               ServedModel("b", "/m/b", policy="specific", versions=(2, 3))]
    assert parse_text(to_text(configs)) == configs
    with pytest.raises(ValueError, match="models.config: not a text-format"):
        parse_text("model_config_list { bogus: 1 }", "models.config")
    with pytest.raises(ValueError, match="unique"):
        parse_text(to_text([ServedModel("a", "/x"), ServedModel("a", "/y")]))
    for bad in ("../etc", "a/b", "", ".hidden"):
        with pytest.raises(Exception, match="invalid"):
            ServedModel(bad, "/x")


def test_deploy_manifests_reference_the_official_image_and_probe():
    import yaml

    assert "FROM tensorflow/serving:" in (DEPLOY / "Dockerfile").read_text()
    docs = [d for f in sorted((DEPLOY / "k8s").glob("*.yaml"))
            for d in yaml.safe_load_all(f.read_text()) if d]
    kinds = {d["kind"]: d for d in docs}
    assert {"Deployment", "Service", "ConfigMap"} <= set(kinds)
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v1/models/recsys"
    parse_text(kinds["ConfigMap"]["data"]["models.config"], "ConfigMap models.config")


def test_metrics_text_format():
    metrics = Metrics(lambda: {"m": 3, "n": None})
    metrics.observe("m", "predict", "GRPC", "OK", 0.0007)
    metrics.observe("m", "predict", "GRPC", "INVALID_ARGUMENT", 0.02)
    text = metrics.render()
    assert ':tensorflow:serving:request_count{model_name="m",status="INVALID_ARGUMENT"} 1' in text
    assert (':tensorflow:serving:request_latency_bucket'
            '{model_name="m",API="predict",entrypoint="GRPC",le="1000"} 1') in text
    assert (':tensorflow:serving:request_latency_count'
            '{model_name="m",API="predict",entrypoint="GRPC"} 2') in text
    assert ':tensorflow:serving:model_version{model_name="n"} -1' in text
