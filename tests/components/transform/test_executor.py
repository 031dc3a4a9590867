import os

import pytest
import tensorflow as tf
import tensorflow_transform as tft
from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact_utils, standard_artifacts

from components.transform import executor
from rec_model import features
from tests.components import testdata
from tests.components.example_gen.test_executor import run_executor as run_example_gen


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("transform")
    data = testdata.write_small_folder(str(tmp / "data"), bad_rows=())
    examples, _ = run_example_gen(tmp, data)
    graph = standard_artifacts.TransformGraph()
    graph.uri = str(tmp / "graph")
    out = standard_artifacts.Examples()
    out.uri = str(tmp / "transformed")
    context = base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=[],
                                                          tmp_dir=str(tmp / "t"), unique_id="2")
    executor.Executor(context).Do({"examples": [examples]},
                                  {"transform_graph": [graph], "transformed_examples": [out]}, {})
    return examples, graph, out


def _read(uri, split):
    paths = tf.io.gfile.glob(os.path.join(uri, f"Split-{split}", "*.gz"))
    return [tf.train.Example.FromString(r.numpy()).features.feature
            for r in tf.data.TFRecordDataset(paths, compression_type="GZIP")]


def test_transform_graph_has_vocabularies_from_train_only(transformed):
    examples, graph, _ = transformed
    output = tft.TFTransformOutput(graph.uri)
    train_items = {f["item_id"].bytes_list.value[0] for f in _read(examples.uri, "train")}
    assert set(output.vocabulary_by_name(features.ITEM_VOCAB)) == train_items
    users = output.vocabulary_by_name(features.USER_VOCAB)
    assert len(users) == 12


def test_transformed_examples_carry_indices_popularity_and_time_features(transformed):
    examples, graph, out = transformed
    assert artifact_utils.decode_split_names(out.split_names) == ["train", "eval"]
    train = _read(out.uri, "train")
    assert len(train) + len(_read(out.uri, "eval")) == testdata.GOOD_ROWS
    counts = {}
    for f in _read(examples.uri, "train"):
        item = f["item_id"].bytes_list.value[0]
        counts[item] = counts.get(item, 0) + 1
    for f in train:
        assert (f[features.ITEM_POPULARITY].int64_list.value[0]
                == counts[f["item_id"].bytes_list.value[0]])
        assert 0 <= f[features.DAY_OF_WEEK].int64_list.value[0] < 7
        assert 0 <= f[features.HOUR_OF_DAY].int64_list.value[0] < 24
    scaled = [f[features.TIMESTAMP_SCALED].float_list.value[0] for f in train]
    assert abs(sum(scaled) / len(scaled)) < 1e-3


def test_serving_time_transform_maps_unknown_ids_to_oov(transformed):
    _, graph, _ = transformed
    output = tft.TFTransformOutput(graph.uri)
    layer = output.transform_features_layer()
    result = layer({
        features.USER_ID: tf.constant([b"u0", b"never-seen"]),
        features.ITEM_ID: tf.constant([b"i0", b"never-seen"]),
        features.TIMESTAMP: tf.constant([1_700_000_000, 1_700_000_000], tf.int64),
        features.RATING: tf.constant([0.0, 0.0]),
    })
    n_users = output.vocabulary_size_by_name(features.USER_VOCAB)
    n_items = output.vocabulary_size_by_name(features.ITEM_VOCAB)
    assert result[features.USER_INDEX].numpy()[1] == n_users  # the OOV bucket
    assert result[features.ITEM_INDEX].numpy()[1] == n_items
    assert result[features.ITEM_POPULARITY].numpy()[1] == 0
    assert result[features.USER_INDEX].numpy()[0] < n_users
