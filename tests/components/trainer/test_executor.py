"""The trainer executor on real example_gen + transform outputs, then a warm-started retrain."""

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf
from tfx.dsl.components.base import base_beam_executor, base_executor
from tfx.types import artifact_utils, standard_artifacts

from components import artifacts
from components.evaluator import model_io
from components.trainer import executor, model_card, model_store
from components.trainer.component import RecsysTrainer
from components.trainer.config import TrainerConfig
from components.transform import executor as transform_executor
from rec_model import features as F
from tests.components import testdata
from tests.components.example_gen.test_executor import run_executor as run_example_gen
from tests.components.trainer import helpers


def _agent(model, name):
    return model.agents[model.agent_names.index(name)]


def _artifact(kind, uri):
    a = kind()
    a.uri = str(uri)
    return a


def _run_trainer(tmp, name, examples, graph, embeddings, base=None,
                 trainer_config=TrainerConfig()):
    model = _artifact(standard_artifacts.Model, tmp / name / "model")
    run = _artifact(standard_artifacts.ModelRun, tmp / name / "run")
    inputs = {"examples": [examples], "transform_graph": [graph],
              "item_embeddings": [embeddings]}
    if base is not None:
        inputs["base_model"] = [base]
    context = base_executor.BaseExecutor.Context(tmp_dir=str(tmp / name / "tmp"), unique_id=name)
    executor.Executor(context).Do(inputs, {"model": [model], "model_run": [run]}, {
        "model_config_json": helpers.tiny_model_config().to_json(),
        "trainer_config_json": trainer_config.to_json()})
    return model, run


@pytest.fixture(scope="module")
def pipeline_outputs(tmp_path_factory):
    """example_gen + transform + the trainer executor: about 90 s, hence the slow marks."""
    tmp = tmp_path_factory.mktemp("trainer_executor")
    data = testdata.write_small_folder(str(tmp / "data"), bad_rows=())
    examples, _ = run_example_gen(tmp, data)
    graph = _artifact(standard_artifacts.TransformGraph, tmp / "graph")
    transformed = _artifact(standard_artifacts.Examples, tmp / "transformed")
    context = base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=[],
                                                          tmp_dir=str(tmp / "t"), unique_id="2")
    transform_executor.Executor(context).Do(
        {"examples": [examples]},
        {"transform_graph": [graph], "transformed_examples": [transformed]}, {})
    embeddings = _artifact(artifacts.ItemEmbeddings, tmp / "emb")
    helpers.write_embeddings(embeddings.uri, [f"i{i}" for i in range(20)])
    model, run = _run_trainer(tmp, "first", examples, graph, embeddings)
    return tmp, examples, graph, embeddings, model, run


def _inputs(examples, graph, embeddings_uri):
    from components.trainer.training_inputs import build_inputs, read_examples_split

    return build_inputs(read_examples_split(examples.uri, "train"),
                        read_examples_split(examples.uri, "eval"), embeddings_uri,
                        user_vocab=executor.user_vocabulary(graph.uri))


def test_component_wiring():
    from tfx.types import channel

    component = RecsysTrainer(
        examples=channel.Channel(type=standard_artifacts.Examples),
        item_embeddings=channel.Channel(type=artifacts.ItemEmbeddings),
        transform_graph=channel.Channel(type=standard_artifacts.TransformGraph),
        base_model=channel.Channel(type=standard_artifacts.Model),
        trainer_config=TrainerConfig(workers=2))
    assert set(component.outputs) == {"model", "model_run"}
    assert TrainerConfig.from_json(component.exec_properties["trainer_config_json"]).workers == 2


@pytest.mark.slow
def test_executor_exports_where_the_evaluator_looks(pipeline_outputs):
    _, _, _, _, model, run = pipeline_outputs
    path = model_io.serving_model_dir(model.uri)
    assert path.endswith("Format-Serving")
    assert model_io.eval_model_dir(model.uri).endswith("Format-Eval")
    signatures = model_io.ServingSignatures(path)
    out = signatures.recommend(["u0", "stranger"], 5, [["i1"], []], [["i2"], []])
    assert out[F.ITEM_IDS].shape == (2, 5) and "i2" not in out[F.ITEM_IDS][0]
    card = model_card.read_model_card(model.uri)
    assert card["counts"]["items"] == 22  # the catalogue, cold items included
    assert card["counts"]["cold_items"] >= 2
    assert card["data_span"]["span"] == 0
    assert model.get_int_custom_property("users") == 12
    assert model.get_float_custom_property("model_recall_at_10") >= 0
    assert os.listdir(run.uri)


@pytest.mark.slow
def test_serving_default_runs_the_transform_graph(pipeline_outputs):
    _, _, _, _, model, _ = pipeline_outputs
    loaded = tf.saved_model.load(model_io.serving_model_dir(model.uri))

    def example(user):
        return tf.train.Example(features=tf.train.Features(feature={
            F.USER_ID: tf.train.Feature(bytes_list=tf.train.BytesList(value=[user.encode()]))})
        ).SerializeToString()

    out = loaded.signatures[F.SIGNATURE_DEFAULT](
        examples=tf.constant([example("u0"), example("stranger")]))
    direct = loaded.signatures[F.SIGNATURE_RECOMMEND](
        user_id=tf.constant(["u0", "stranger"]), k=tf.constant(10),
        history=tf.constant([[""], [""]]), exclude=tf.constant([[""], [""]]))
    np.testing.assert_array_equal(out[F.ITEM_IDS].numpy(), direct[F.ITEM_IDS].numpy())
    assert np.abs(out[F.AGENT_SCORES].numpy()[0]).sum() > 0
    assert np.all(out[F.AGENT_SCORES].numpy()[1] == 0)


@pytest.mark.slow
def test_warm_start_keeps_known_rows(pipeline_outputs):
    from components.trainer.training_run import TrainingJob, _initial_model

    tmp, examples, graph, embeddings, model, _ = pipeline_outputs
    old, old_users, old_items = model_store.load_model_state(model.uri)
    # A catalogue with a new item: known rows move to their new positions, the new one is fresh.
    new_emb = _artifact(artifacts.ItemEmbeddings, tmp / "emb2")
    helpers.write_embeddings(new_emb.uri, ["brand-new"] + [f"i{i}" for i in range(20)])
    inputs = _inputs(examples, graph, new_emb.uri)
    job = TrainingJob("", "", "", "", helpers.tiny_model_config().to_json(),
                      base_model_dir=model.uri)
    initial, kept = _initial_model(job, TrainerConfig(), inputs, helpers.tiny_model_config())
    assert kept["users_kept"] == 12 and kept["items_new"] == 1
    old_rows = _agent(old, "cf").item_embeddings.numpy()
    new_rows = _agent(initial, "cf").item_embeddings.numpy()
    for j, item in enumerate(inputs.item_ids):
        if item in old_items:
            np.testing.assert_array_equal(new_rows[j], old_rows[old_items.index(item)])
    assert not any(np.array_equal(new_rows[0], row) for row in old_rows)
    np.testing.assert_array_equal(_agent(initial, "cf").user_embeddings.numpy(),
                                  _agent(old, "cf").user_embeddings.numpy())


@pytest.mark.slow
def test_a_base_model_with_other_agents_is_not_warm_started_from(pipeline_outputs, caplog):
    from components.trainer.training_run import TrainingJob, _initial_model

    _, examples, graph, embeddings, model, _ = pipeline_outputs
    inputs = _inputs(examples, graph, embeddings.uri)
    changed = dataclasses.replace(helpers.tiny_model_config(), agents=("cf", "history"))
    job = TrainingJob("", "", "", "", changed.to_json(), base_model_dir=model.uri)
    with caplog.at_level("WARNING"):
        initial, warm = _initial_model(job, TrainerConfig(), inputs, changed)
    assert initial is None and warm["from"] == model.uri and "agents changed" in warm["skipped"]
    assert "training from scratch" in caplog.text


@pytest.mark.slow
def test_executor_warm_starts_from_base_model(pipeline_outputs):
    tmp, examples, graph, _, model, _ = pipeline_outputs
    new_emb = _artifact(artifacts.ItemEmbeddings, tmp / "emb3")
    helpers.write_embeddings(new_emb.uri, ["brand-new"] + [f"i{i}" for i in range(20)])
    second, _ = _run_trainer(tmp, "second", examples, graph, new_emb, base=model)
    card = model_card.read_model_card(second.uri)
    assert card["warm_start"]["from"] == model.uri and card["warm_start"]["items_new"] == 1
    assert second.get_string_custom_property("warm_started_from") == model.uri


def test_executor_hands_cluster_launchers_to_cluster_train(pipeline_outputs, monkeypatch):
    from components.trainer import cluster_train

    tmp, examples, graph, embeddings, _, _ = pipeline_outputs
    calls = []

    def train_on_cluster(inputs, model_dir, log_dir, model_config, trainer_config,
                         transform_graph_uri=None, base_model_dir=None):
        calls.append((model_dir, trainer_config.launcher, transform_graph_uri))
        job = {"launcher": "tfjob", "name": "recsys-train-1a2b3c4d"}
        return {"training": {"cluster_job": job}, "metrics": {"eval": {"model_recall@10": 0.5}},
                "warm_start": None}

    monkeypatch.setattr(cluster_train, "train_on_cluster", train_on_cluster)
    config = TrainerConfig(workers=2, launcher="tfjob", tfjob={"image": "img"})
    model, _ = _run_trainer(tmp, "cluster", examples, graph, embeddings, trainer_config=config)
    assert calls == [(model.uri, "tfjob", graph.uri)]
    assert model.get_string_custom_property("launcher") == "tfjob"
    assert model.get_string_custom_property("cluster_job") == "recsys-train-1a2b3c4d"


def _write_train_only_examples(uri):
    """An Examples artifact with a train split only (a few hand-written tf.Examples)."""
    folder = os.path.join(uri, "Split-train")
    os.makedirs(folder)

    def feature(value):
        if isinstance(value, int):
            return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))

    with tf.io.TFRecordWriter(os.path.join(folder, "data.gz"), options="GZIP") as writer:
        for n, (user, item) in enumerate([("u0", "i0"), ("u0", "i1"), ("u1", "i1")]):
            example = tf.train.Example(features=tf.train.Features(feature={
                F.USER_ID: feature(user), F.ITEM_ID: feature(item), F.TIMESTAMP: feature(n)}))
            writer.write(example.SerializeToString())
    examples = _artifact(standard_artifacts.Examples, uri)
    examples.split_names = artifact_utils.encode_split_names(["train"])
    return examples


def test_examples_without_an_eval_split_train(tmp_path, monkeypatch):
    examples = _write_train_only_examples(str(tmp_path / "examples"))
    embeddings = _artifact(artifacts.ItemEmbeddings, tmp_path / "emb")
    helpers.write_embeddings(embeddings.uri, ["i0", "i1"])
    seen = {}

    def fake_train(inputs, model_dir, log_dir, *args, **kwargs):
        seen["inputs"] = inputs
        return {"metrics": {"eval": {}}, "warm_start": None}

    monkeypatch.setattr(executor, "train_and_export", fake_train)
    model = _artifact(standard_artifacts.Model, tmp_path / "model")
    run = _artifact(standard_artifacts.ModelRun, tmp_path / "run")
    context = base_executor.BaseExecutor.Context(tmp_dir=str(tmp_path / "tmp"), unique_id="x")
    executor.Executor(context).Do({"examples": [examples], "item_embeddings": [embeddings]},
                                  {"model": [model], "model_run": [run]}, {})
    assert seen["inputs"].eval.size == 0 and seen["inputs"].train.size == 3
