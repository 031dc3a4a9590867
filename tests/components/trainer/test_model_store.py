import glob
import json
import os
import shutil

import numpy as np
import pytest

from components.trainer import model_store
from rec_model.warm_start import IncompatibleBaseModel, build_weights
from tests.rec_model.synthetic import NUM_ITEMS, NUM_USERS, fitted_model

USERS = [f"u{i}" for i in range(NUM_USERS)]
ITEMS = [f"i{i}" for i in range(NUM_ITEMS)]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = build_weights(fitted_model())
    folder = str(tmp_path_factory.mktemp("store") / "model")
    model_store.save_model_state(model, USERS, ITEMS, folder)
    return model, folder


def test_round_trip_restores_config_vocabularies_and_weights(saved):
    model, folder = saved
    assert sorted(os.listdir(os.path.join(folder, model_store.WARM_START_DIR)))[:2] == [
        "item_ids.txt", "model_config.json"]
    back, users, items = model_store.load_model_state(folder)
    assert (users, items) == (USERS, ITEMS) and back.config == model.config
    assert (back.num_users, back.num_items, back.text_dim) == (30, 24, 8)
    for old, new in zip(model.trainable_weights, back.trainable_weights):
        np.testing.assert_array_equal(old.numpy(), new.numpy())
    np.testing.assert_array_equal(back.histories.values.numpy(), model.histories.values.numpy())


def test_a_folder_without_warm_start_state_is_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="model_config.json not found"):
        model_store.load_model_state(str(tmp_path))


def _damaged(saved, tmp_path, damage):
    folder = str(tmp_path / "damaged")
    shutil.copytree(saved[1], folder)
    damage(os.path.join(folder, model_store.WARM_START_DIR))
    return folder


def _edit_config(folder, **fields):
    path = os.path.join(folder, "model_config.json")
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
    meta["config"].update(fields)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(meta, f)


def test_a_config_from_another_model_version_is_incompatible(saved, tmp_path):
    folder = _damaged(saved, tmp_path, lambda f: _edit_config(f, alpha_mode="softmax"))
    with pytest.raises(IncompatibleBaseModel, match="configuration does not load"):
        model_store.load_model_state(folder)


def test_vocabulary_files_that_disagree_are_reported(saved, tmp_path):
    def damage(folder):
        with open(os.path.join(folder, "user_ids.txt"), "a", encoding="utf-8") as f:
            f.write("extra\n")

    with pytest.raises(ValueError, match="folder is damaged"):
        model_store.load_model_state(_damaged(saved, tmp_path, damage))


def _remove_weights(folder):
    for path in glob.glob(os.path.join(folder, "weights*")):
        os.remove(path)


@pytest.mark.parametrize("damage", [lambda f: _edit_config(f, embedding_dim=16),
                                    _remove_weights], ids=["other_shapes", "no_weights"])
def test_weights_that_do_not_match_are_incompatible(saved, tmp_path, damage):
    with pytest.raises(IncompatibleBaseModel):
        model_store.load_model_state(_damaged(saved, tmp_path, damage))


def test_the_trainer_run_writes_a_loadable_warm_start_folder(exported):
    model, users, items = model_store.load_model_state(exported["model_dir"])
    assert users == exported["inputs"].user_ids and items == exported["inputs"].item_ids
    assert model.agent_names == exported["card"]["agents"]


def test_a_weight_the_folder_predates_keeps_its_initial_value_only_when_asked(saved,
                                                                             monkeypatch):
    import tensorflow as tf

    from rec_model.agents.content_agent import ContentAgent

    model, folder = saved
    built = ContentAgent.__init__

    def with_new_weight(self, *args, **kwargs):
        built(self, *args, **kwargs)
        self.new_weight = tf.Variable(7.0, trainable=False)

    monkeypatch.setattr(ContentAgent, "__init__", with_new_weight)
    with pytest.raises(IncompatibleBaseModel, match="do not match"):
        model_store.load_model_state(folder)
    loaded, _, _ = model_store.load_model_state(folder, every_weight=False)
    content = loaded.agents[loaded.agent_names.index("content")]
    assert float(content.new_weight.numpy()) == 7.0
    for old, new in zip(model.agents, loaded.agents):
        for name in ("user_embeddings", "row_weights", "text", "cold_ids"):
            if hasattr(old, name):
                np.testing.assert_array_equal(getattr(new, name).numpy(),
                                              getattr(old, name).numpy())
