"""cluster_train: storage check, staging on shared storage, publishing the chief's model."""

import json
import os

import pytest
import tensorflow as tf

from components.trainer import cluster_train, model_card, replica_env
from components.trainer.canonical_inputs import inputs_from_canonical
from components.trainer.config import TrainerConfig
from components.trainer.training_inputs import TrainingInputs
from components.trainer.training_run import TrainingJob
from tests.components.trainer import cluster_helpers, helpers

CONFIG = TrainerConfig(workers=3, launcher="tfjob", tfjob={"image": "img"})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    data, emb = helpers.synthetic_folder(str(tmp_path_factory.mktemp("cluster_train")))
    return inputs_from_canonical(data, emb, eval_fraction=0.2)


class FakeLauncher:
    """Stands in for the platform: the 'chief' writes a model card unless told not to."""

    def __init__(self, writes_card=True):
        self.writes_card, self.calls = writes_card, []

    def run(self, job_path, workers, max_restarts, log_dir):
        self.calls.append((job_path, workers, max_restarts, log_dir))
        with tf.io.gfile.GFile(job_path) as f:
            job = TrainingJob.from_json(f.read())
        if self.writes_card:
            model_card.write_model_card(job.model_dir, {"training": {"workers": workers},
                                                        "metrics": {"eval": {}}})
        return {"launcher": "tfjob", "name": "recsys-train-0a1b2c3d", "state": "Succeeded"}


def test_local_paths_are_refused_before_anything_is_written(inputs, tmp_path):
    launcher = FakeLauncher()
    with pytest.raises(ValueError, match=f"Model folder '{tmp_path}/model'"):
        cluster_train.train_on_cluster(inputs, str(tmp_path / "model"), "gs://b/run",
                                       helpers.tiny_model_config(), CONFIG, launcher=launcher)
    assert launcher.calls == [] and os.listdir(tmp_path) == []


def test_staged_job_is_complete_for_a_replica(inputs):
    root = "ram://cluster-train-stage"
    job_path = cluster_train.stage_job(inputs, f"{root}/model", f"{root}/run",
                                       helpers.tiny_model_config(), CONFIG,
                                       transform_graph_uri=f"{root}/graph")
    assert job_path == f"{root}/run/.trainer_work/job.json"
    with tf.io.gfile.GFile(job_path) as f:
        job = TrainingJob.from_json(f.read())
    assert job.backup_dir == f"{root}/run/.trainer_work/backup"
    assert job.model_dir == f"{root}/model"
    assert TrainerConfig.from_json(job.trainer_config_json) == CONFIG
    # What a replica does with it: copy the inputs to its disk and load them.
    loaded = TrainingInputs.load(replica_env.with_local_inputs(job).inputs_dir)
    assert loaded.user_ids == inputs.user_ids and loaded.counts == inputs.counts
    tf.io.gfile.rmtree(root)


def test_publishes_the_chief_model_card_and_removes_the_job_folder(inputs, tmp_path):
    # Local folders here: TF's ram:// file system appends on rewrite, unlike gs:// and disks.
    model, run = str(tmp_path / "model"), str(tmp_path / "run")
    job_path = cluster_train.stage_job(inputs, model, run, helpers.tiny_model_config(), CONFIG)
    launcher = FakeLauncher()
    card = cluster_train.launch_staged(job_path, model, run, CONFIG, launcher)
    assert launcher.calls == [(job_path, 3, CONFIG.max_restarts, run)]
    assert card["training"]["cluster_job"]["name"] == "recsys-train-0a1b2c3d"
    with open(os.path.join(model, "model_card.json")) as f:
        assert json.load(f) == card
    assert not os.path.exists(os.path.join(run, ".trainer_work"))


def test_a_job_that_left_no_model_fails_clearly(inputs, tmp_path):
    model, run = str(tmp_path / "model"), str(tmp_path / "run")
    job_path = cluster_train.stage_job(inputs, model, run, helpers.tiny_model_config(), CONFIG)
    with pytest.raises(RuntimeError, match="chief wrote no .*model_card.json"):
        cluster_train.launch_staged(job_path, model, run, CONFIG, FakeLauncher(writes_card=False))
    assert os.path.exists(job_path)  # kept for inspection, as local runs keep theirs


def test_local_is_not_a_cluster_launcher():
    with pytest.raises(ValueError, match="not a cluster launcher"):
        cluster_train.make_launcher(TrainerConfig())


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["tfjob", "vertex"])
def test_replicas_train_under_the_platforms_tf_config_and_the_chief_exports(tmp_path, platform):
    """The generated TFJob / CustomJob's replicas, run here with exactly the TF_CONFIG the
    platform would give them, train together and the chief's model is what gets published."""
    data, emb = helpers.synthetic_folder(str(tmp_path))
    inputs = inputs_from_canonical(data, emb, eval_fraction=0.2)
    config = TrainerConfig(workers=2, launcher=platform, **{platform: {"image": "recsys:test"}})
    model, run = str(tmp_path / "model"), str(tmp_path / "run")
    job_path = cluster_train.stage_job(inputs, model, run, helpers.tiny_model_config(epochs=2),
                                       config)
    launcher = cluster_helpers.LocalPlatform(platform, config)
    card = cluster_train.launch_staged(job_path, model, run, config, launcher)
    assert os.path.isdir(os.path.join(model, "Format-Serving"))
    assert card["training"]["workers"] == 2 and card["training"]["communication"] == "RING"
    assert card["training"]["cluster_job"]["launcher"] == platform
    names = {"tfjob": ("chief-0", "worker-0"), "vertex": ("workerpool0-0", "workerpool1-0")}
    chief, worker = names[platform]
    assert "replica {'type': 'chief', 'index': 0}" in launcher.logs[chief]
    assert "replica {'type': 'worker', 'index': 0}" in launcher.logs[worker]
    assert all("done:" in log for log in launcher.logs.values())
