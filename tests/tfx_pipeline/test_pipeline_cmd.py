"""`recsys pipeline compile` flags -> the trainer's launcher settings."""

import argparse
import json

import pytest

from components.trainer.tfjob_config import TFJobConfig
from tfx_pipeline.cli import pipeline_cmd


def _configs(*flags):
    parser = argparse.ArgumentParser()
    pipeline_cmd.add_arguments(parser)
    args, args.extra_args = parser.parse_known_args(
        ["compile", "--data", "gs://b/data", "--pipeline-root", "gs://b/root", "--image", "img:1",
         "--workers", "3", *flags])
    return pipeline_cmd.build_configs(args)[1]["trainer_config"]


def test_default_compile_keeps_local_workers():
    config = _configs()
    assert config.launcher == "local" and config.workers == 3 and config.tfjob == TFJobConfig()


def test_tfjob_launcher_gets_the_pipeline_image_and_flags():
    config = _configs("--launcher", "tfjob", "--tfjob-namespace", "ml",
                      "--replica-service-account", "sa")
    assert (config.launcher, config.workers) == ("tfjob", 3)
    tfjob = config.tfjob
    assert (tfjob.image, tfjob.namespace, tfjob.service_account) == ("img:1", "ml", "sa")


def test_vertex_launcher_merges_the_config_file_and_flags(tmp_path):
    path = tmp_path / "vertex.json"
    path.write_text(json.dumps({"image": "trainer-img:2", "machine_type": "n1-highmem-16",
                                "location": "us-east1", "timeout_seconds": 7200}))
    config = _configs("--launcher", "vertex", "--launcher-config", str(path),
                      "--vertex-project", "p", "--vertex-region", "europe-west4")
    vertex = config.vertex
    assert vertex.image == "trainer-img:2"  # the file's image wins over the pipeline image
    assert (vertex.project, vertex.location) == ("p", "europe-west4")
    assert vertex.machine_type == "n1-highmem-16"
    assert vertex.timeout_seconds == 7200


def test_a_misspelt_launcher_config_field_is_named(tmp_path):
    path = tmp_path / "tfjob.json"
    path.write_text('{"namspace": "ml"}')
    with pytest.raises(ValueError, match="namspace"):
        _configs("--launcher", "tfjob", "--launcher-config", str(path))


def test_compile_refuses_a_local_root_for_cluster_replicas(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    pipeline_cmd.add_arguments(parser)
    args, args.extra_args = parser.parse_known_args(
        ["compile", "--data", "gs://b/data", "--pipeline-root", "out/root", "--image", "img:1",
         "--until", "train", "--launcher", "tfjob", "--out", str(tmp_path / "p.json")])
    assert pipeline_cmd.run(args) == 2
    assert "pipeline root 'out/root'" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()
