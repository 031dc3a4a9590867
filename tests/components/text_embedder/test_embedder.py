"""TextEmbedder with the real all-MiniLM-L6-v2 weights, and backbone validation."""

import os

import numpy as np
import pytest

from components.text_embedder import backbones
from components.text_embedder.embedder import TextEmbedder, embed_texts

TOY_STORY = "Toy Story (1995) Animation|Children's|Comedy"
ALADDIN = "Aladdin (1992) Animation|Children's|Comedy|Musical"
HEAT = "Heat (1995) Action|Crime|Thriller"


@pytest.fixture(scope="module")
def embedder():
    return TextEmbedder(sequence_length=32)


def test_output_is_float32_unit_rows(embedder):
    out = embedder.embed([TOY_STORY, HEAT, ""])
    assert out.shape == (3, embedder.dim) and embedder.dim == 384
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_related_titles_are_closer_than_unrelated(embedder):
    toy, aladdin, heat = embedder.embed([TOY_STORY, ALADDIN, HEAT])
    assert toy @ aladdin > toy @ heat
    assert toy @ aladdin > aladdin @ heat


def test_same_text_same_embedding_across_batch_sizes(embedder):
    texts = [TOY_STORY, ALADDIN, HEAT, "a much longer text " * 10, "x"]
    reference = embedder.embed(texts, batch_size=len(texts))
    for batch_size in (1, 2, 3):
        np.testing.assert_allclose(embedder.embed(texts, batch_size=batch_size), reference, atol=1e-5)
    # Alone or among others: the same vector.
    np.testing.assert_allclose(embedder.embed([HEAT])[0], reference[2], atol=1e-5)


def test_long_texts_are_truncated_and_reported(embedder):
    _, counts = embedder.embed_with_lengths(["word " * 100, "short"])
    assert counts[0] > embedder.sequence_length >= counts[1]
    token_ids, mask, _ = embedder.tokenize(["word " * 100])
    assert token_ids.shape == (1, 32) and mask.sum() == 32
    assert token_ids[0, -1] == embedder.tokenizer.end_token_id


def test_empty_input_and_bad_arguments(embedder):
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError, match="wrap it in a list"):
        embedder.embed(TOY_STORY)
    with pytest.raises(ValueError, match="batch_size"):
        embedder.embed([TOY_STORY], batch_size=0)
    with pytest.raises(ValueError, match="sequence_length"):
        TextEmbedder(sequence_length=1)


def test_embed_texts_matches_the_class(embedder):
    np.testing.assert_allclose(
        embed_texts([TOY_STORY], sequence_length=32), embedder.embed([TOY_STORY]), atol=1e-5)


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
    assert backbones.validate_backbone("bert_tiny_en_uncased", allow_download=True) == "bert_tiny_en_uncased"
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
