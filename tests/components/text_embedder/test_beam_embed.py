"""EmbedItemsFile: elements of several forward passes keep every vector and the file order."""

import apache_beam as beam
import numpy as np
import pytest

from components.text_embedder import beam_embed, embed_items
from components.text_embedder import item_texts as it
from components.text_embedder.backbones import validate_backbone
from components.text_embedder.config import EmbedderConfig
from components.text_embedder.embedder import TextEmbedder
from rec_model.item_embeddings import load_item_embeddings

SEQ = 16
# Lengths differ a lot, so sorting within an element reorders them.
TITLES = ["Heat", "A very long title about a river and a king and a secret city at night",
          "Toy Story", "Love", "The last star of the dark city returns", "Night", "Up"]


def _embed(tmp_path, items_path, batches_per_element):
    config = EmbedderConfig(sequence_length=SEQ, batch_size=2)
    preset = validate_backbone(None, None)
    metadata = embed_items.build_metadata(config, preset, it.load_item_texts(items_path), [], 0,
                                          items_path)
    out_dir = str(tmp_path / f"out_{batches_per_element}")
    with beam.Pipeline() as pipeline:
        _ = pipeline | beam_embed.EmbedItemsFile(items_path, preset, config, out_dir, metadata,
                                                 batches_per_element=batches_per_element)
    return load_item_embeddings(out_dir)


def test_elements_of_several_passes_give_the_plain_vectors_in_file_order(tmp_path):
    items_path = tmp_path / "items.csv"
    items_path.write_text("item_id,title\n" + "".join(
        f"i{n},{title}\n" for n, title in enumerate(TITLES)), encoding="utf-8")
    plain = TextEmbedder(sequence_length=SEQ).embed(TITLES, batch_size=64)
    for batches_per_element in (1, 3):
        ids, vectors, _ = _embed(tmp_path, str(items_path), batches_per_element)
        assert ids == [f"i{n}" for n in range(len(TITLES))]
        np.testing.assert_allclose(vectors, plain, atol=1e-5)


@pytest.mark.parametrize("bad", [0, -1, 2.0])
def test_batches_per_element_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="batches_per_element"):
        beam_embed.EmbedAndWrite("preset", EmbedderConfig(), "out", {}, batches_per_element=bad)
