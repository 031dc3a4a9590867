"""TextEmbedder with the real all-MiniLM-L6-v2 weights."""

import numpy as np
import pytest

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
        np.testing.assert_allclose(embedder.embed(texts, batch_size=batch_size), reference,
                                   atol=1e-5)
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
