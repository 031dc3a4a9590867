"""ItemTextEmbedder: executor run on a hand-built artifact, bad-input counts, build-time checks."""

import json

import numpy as np
import pytest
from tfx.types import standard_artifacts  # noqa: F401  (artifact registry)

from components import artifacts
from components.text_embedder import component, executor
from components.text_embedder import item_texts as it
from components.text_embedder.config import EmbedderConfig
from components.text_embedder.embedder import TextEmbedder
from rec_model.item_embeddings import load_item_embeddings

SEQ = 16
ROWS = [
    b"item_id,title,genres",
    b"1,Toy Story (1995),Animation|Children's|Comedy",
    b"2,,",  # empty text -> embedded by its id
    b"3,Heat (1995),Action|Crime|Thriller",
    b"4," + b"very long title " * 20 + b",Drama",  # truncated
    b"5,Caf\xe9 Society (bad byte),Comedy",  # not UTF-8 -> replaced, kept
    b"6,too,many,fields",  # quarantined
]


@pytest.fixture()
def items_csv(tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes(b"\n".join(ROWS) + b"\n")
    return str(path)


def test_item_texts_count_bad_input(items_csv):
    texts = it.load_item_texts(items_csv)
    assert texts.item_ids == ["1", "2", "3", "4", "5"]
    assert texts.texts[1] == "2"
    assert "\ufffd" in texts.texts[4]
    assert texts.counts == {"empty_text": 1, "replaced_undecodable": 1, "quarantined": 1,
                            "truncated": 0}
    assert texts.quarantined[0].line == 7


def test_duplicate_ids_raise(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("item_id,title\n1,a\n1,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        it.load_item_texts(str(path))


def test_executor_writes_embeddings_and_counts(items_csv, tmp_path):
    out = artifacts.ItemEmbeddings()
    out.uri = str(tmp_path / "embeddings")
    config = EmbedderConfig(sequence_length=SEQ, batch_size=2)
    executor.Executor().Do(
        {}, {"embeddings": [out]},
        {"items_path": items_csv, "config_json": config.to_json()})

    ids, vectors, meta = load_item_embeddings(out.uri)
    assert ids == ["1", "2", "3", "4", "5"]
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert meta["counts"] == {"empty_text": 1, "replaced_undecodable": 1, "quarantined": 1,
                              "truncated": 1}
    assert meta["quarantined_examples"][0]["line"] == 7
    assert out.get_int_custom_property("item_count") == 5
    assert out.get_int_custom_property("dim") == 384
    assert out.get_int_custom_property("truncated") == 1
    assert out.get_int_custom_property("quarantined") == 1
    assert out.get_string_custom_property("backbone").endswith("model")

    # Beam batching (2 per batch) gives the same vectors as one plain call.
    plain = TextEmbedder(sequence_length=SEQ).embed(
        it.load_item_texts(items_csv).texts, batch_size=64)
    np.testing.assert_allclose(vectors, plain, atol=1e-5)


def test_executor_prefers_the_backbone_preset_input(items_csv, tmp_path):
    preset = artifacts.BertPreset()
    preset.uri = str(tmp_path / "missing_preset")
    out = artifacts.ItemEmbeddings()
    out.uri = str(tmp_path / "embeddings")
    with pytest.raises(FileNotFoundError, match="missing_preset"):
        executor.Executor().Do({"backbone_preset": [preset]}, {"embeddings": [out]},
                               {"items_path": items_csv,
                                "config_json": EmbedderConfig().to_json()})


def test_component_fails_at_build_time_for_a_missing_folder(items_csv, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        component.ItemTextEmbedder(items_csv, EmbedderConfig(backbone=str(tmp_path / "nope")))


def test_component_builds_with_defaults(items_csv):
    comp = component.ItemTextEmbedder(items_csv, EmbedderConfig(sequence_length=SEQ))
    assert json.loads(comp.exec_properties["config_json"])["sequence_length"] == SEQ
    assert len(comp.exec_properties["input_fingerprint"]) == 64
    assert comp.outputs["embeddings"].type is artifacts.ItemEmbeddings


def test_config_validates():
    with pytest.raises(ValueError, match="sequence_length"):
        EmbedderConfig(sequence_length=1000)
    assert EmbedderConfig.from_json(EmbedderConfig(backbone="x").to_json()).backbone == "x"
