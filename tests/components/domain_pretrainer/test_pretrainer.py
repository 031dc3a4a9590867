"""Domain pre-training: hold-out split, config checks, and (slow) real MLM training on MiniLM."""

import json
import os

import numpy as np
import pytest

from components import artifacts
from components.domain_pretrainer import component, executor, pretrainer
from components.domain_pretrainer.config import PretrainerConfig

GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance", "Thriller", "Animation", "Musical"]
WORDS = ["Night", "Love", "Return", "Dark", "City", "Star", "Last", "Secret", "River", "King"]


def synthetic_items_csv(path, n=200, seed=0):
    """A small MovieLens-like catalogue: "<Word> <Word> (<year>)", 1-3 genres."""
    rng = np.random.default_rng(seed)
    lines = ["item_id,title,genres"]
    for i in range(n):
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} ({rng.integers(1950, 2000)})"
        genres = "|".join(rng.choice(GENRES, size=rng.integers(1, 4), replace=False))
        lines.append(f"{i + 1},{title},{genres}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_split_texts_is_seeded_and_disjoint():
    texts = [f"t{i}" for i in range(20)]
    train, val = pretrainer.split_texts(texts, 0.1, seed=1)
    assert len(val) == 2 and len(train) == 18
    assert sorted(train + val) == sorted(texts)
    assert pretrainer.split_texts(texts, 0.1, seed=1) == (train, val)
    assert (pretrainer.split_texts(["a", "b"], 0.5, 0)[1]
            and pretrainer.split_texts(["a", "b"], 0.01, 0)[0])
    with pytest.raises(ValueError, match="at least 2"):
        pretrainer.split_texts(["only"], 0.1, 0)


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0}, "epochs"), ({"validation_fraction": 1.0}, "validation_fraction"),
    ({"sequence_length": 2}, "sequence_length"), ({"learning_rate": 0.0}, "learning_rate"),
])
def test_config_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PretrainerConfig(**kwargs)


def test_config_round_trips_json():
    config = PretrainerConfig(backbone="/x", epochs=3)
    assert PretrainerConfig.from_json(config.to_json()) == config


def test_component_fails_at_build_time_for_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        component.DomainPretrainer(str(tmp_path / "items.csv"),
                                   PretrainerConfig(backbone=str(tmp_path / "nope")))


def test_component_fails_at_build_time_for_an_offline_preset(tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="offline"):
        component.DomainPretrainer(str(tmp_path / "items.csv"),
                                   PretrainerConfig(backbone="bert_tiny_en_uncased"))


def test_component_builds(tmp_path):
    items = synthetic_items_csv(tmp_path / "items.csv", n=5)
    comp = component.DomainPretrainer(items, PretrainerConfig(epochs=1))
    assert json.loads(comp.exec_properties["config_json"])["epochs"] == 1
    assert comp.outputs["preset"].type is artifacts.BertPreset


@pytest.mark.slow
def test_pretraining_lowers_held_out_loss_and_the_embedder_loads_it(tmp_path):
    from components.text_embedder.embedder import TextEmbedder

    items = synthetic_items_csv(tmp_path / "items.csv", n=200)
    preset = artifacts.BertPreset()
    preset.uri = str(tmp_path / "preset")
    config = PretrainerConfig(epochs=1, sequence_length=24, batch_size=32, learning_rate=1e-4)
    executor.Executor().Do({}, {"preset": [preset]},
                           {"items_path": items, "config_json": config.to_json()})

    metrics = pretrainer.read_metrics(preset.uri)
    assert metrics["loss_after"] < metrics["loss_before"]
    assert metrics["train_texts"] == 180 and metrics["validation_texts"] == 20
    assert preset.get_float_custom_property("loss_after") == pytest.approx(metrics["loss_after"])
    assert os.path.isfile(os.path.join(preset.uri, "model.weights.h5"))

    adapted = TextEmbedder(preset.uri, sequence_length=24)
    vectors = adapted.embed(["Night City (1990) Action", "Love River (1960) Romance"])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_both_datasets_run_without_the_autotuner():
    # Keras deletes their iterators every epoch; with the autotuner that can wait out its sleep.
    import tensorflow as tf

    def preprocessor(texts):
        return {"token_ids": tf.strings.length(texts)}, tf.strings.length(texts), tf.ones_like(
            tf.strings.length(texts), tf.float32)

    train_ds, val_ds = pretrainer._datasets(  # pylint: disable=protected-access
        tf, preprocessor, ["a", "bb", "ccc", "dddd"], ["ee", "f"], batch_size=2, seed=0)
    assert train_ds.options().autotune.enabled is False
    assert val_ds.options().autotune.enabled is False
    assert sorted(int(x) for batch, _, _ in train_ds for x in batch["token_ids"]) == [1, 2, 3, 4]
    assert [int(x) for _, y, _ in val_ds for x in y] == [2, 1]

