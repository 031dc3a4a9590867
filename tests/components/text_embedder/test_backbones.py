"""Backbone validation: bundled default, local folders, keras-hub preset names offline/cached."""

import os

import pytest

from components.text_embedder import backbones


def test_default_backbone_is_the_bundled_minilm():
    path = backbones.default_backbone_dir()
    assert os.path.isfile(os.path.join(path, "config.json"))
    assert backbones.validate_backbone(None) == path


def test_missing_folder_fails_with_a_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*preset folder"):
        backbones.validate_backbone(str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="config.json"):
        backbones.validate_backbone(str(tmp_path))


def test_uncached_preset_offline_fails_with_a_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="offline.*kagglehub"):
        backbones.validate_backbone("bert_tiny_en_uncased", allow_download=False)
    assert (backbones.validate_backbone("bert_tiny_en_uncased", allow_download=True)
            == "bert_tiny_en_uncased")
    with pytest.raises(ValueError, match="Unknown backbone"):
        backbones.validate_backbone("not_a_bert_preset")


def test_cached_preset_resolves_to_the_cache_folder(tmp_path, monkeypatch):
    import keras_hub
    from kagglehub import cache, handle

    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))
    kaggle = keras_hub.models.BertBackbone.presets["bert_tiny_en_uncased"]["kaggle_handle"]
    parsed = handle.parse_model_handle(kaggle.removeprefix("kaggle://"))
    folder = cache.Cache().get_path(parsed)
    os.makedirs(folder)
    open(os.path.join(folder, "config.json"), "w").close()
    cache.Cache().mark_as_complete(parsed, "config.json")
    assert backbones.validate_backbone("bert_tiny_en_uncased", allow_download=False) == folder


def test_incomplete_folders_name_what_is_missing(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no weights"):
        backbones.validate_backbone(str(tmp_path))
    (tmp_path / "model.weights.h5").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="vocabulary"):
        backbones.validate_backbone(str(tmp_path))
    (tmp_path / "vocab.txt").write_text("[PAD]\n")
    assert backbones.validate_backbone(str(tmp_path)) == str(tmp_path)
