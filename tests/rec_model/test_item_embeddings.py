"""Round trip and validation of the item-embeddings folder format."""

import json
import os

import numpy as np
import pytest

from rec_model import item_embeddings as ie


def _write(tmp_path, n=3, dim=4):
    emb = np.random.default_rng(0).normal(size=(n, dim)).astype(np.float32)
    ids = [f"item{i}" for i in range(n)]
    ie.save_item_embeddings(tmp_path, ids, emb, {"backbone": "x", "sequence_length": 8})
    return ids, emb


def test_round_trip_keeps_ids_values_and_metadata(tmp_path):
    ids, emb = _write(tmp_path)
    got_ids, got_emb, meta = ie.load_item_embeddings(tmp_path)
    assert got_ids == ids
    assert got_emb.dtype == np.float32
    np.testing.assert_array_equal(got_emb, emb)
    assert meta == {"backbone": "x", "sequence_length": 8, "item_count": 3, "dim": 4}


def test_float64_input_is_stored_as_float32(tmp_path):
    ie.save_item_embeddings(tmp_path, ["a"], np.ones((1, 2), np.float64), {})
    assert ie.load_item_embeddings(tmp_path)[1].dtype == np.float32


@pytest.mark.parametrize("ids, emb, match", [
    (["a", "b"], np.ones((3, 2)), "3 rows but 2 item ids"),
    (["a", "a"], np.ones((2, 2)), "duplicate"),
    (["a", "b\nc"], np.ones((2, 2)), "line break"),
    (["a"], np.ones((2,)), "2-D"),
    (["a"], np.array([[np.nan, 1.0]]), "NaN"),
])
def test_save_rejects_bad_input(tmp_path, ids, emb, match):
    with pytest.raises(ValueError, match=match):
        ie.save_item_embeddings(tmp_path, ids, emb, {})


def test_save_rejects_contradicting_metadata(tmp_path):
    with pytest.raises(ValueError, match="item_count"):
        ie.save_item_embeddings(tmp_path, ["a"], np.ones((1, 2)), {"item_count": 5})


def test_load_missing_folder_names_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="embeddings.npy"):
        ie.load_item_embeddings(tmp_path)


def test_load_detects_id_count_mismatch(tmp_path):
    _write(tmp_path)
    with open(os.path.join(tmp_path, ie.ITEM_IDS_FILE), "a", encoding="utf-8") as f:
        f.write("extra\n")
    with pytest.raises(ValueError, match="4 ids but"):
        ie.load_item_embeddings(tmp_path)


def test_load_rejects_wrong_dtype_and_pickles(tmp_path):
    _write(tmp_path)
    np.save(os.path.join(tmp_path, ie.EMBEDDINGS_FILE), np.ones((3, 4), np.float64))
    with pytest.raises(ValueError, match="float32"):
        ie.load_item_embeddings(tmp_path)
    np.save(os.path.join(tmp_path, ie.EMBEDDINGS_FILE), np.array([{"a": 1}] * 3, dtype=object),
            allow_pickle=True)
    with pytest.raises(ValueError, match="not a plain numeric"):
        ie.load_item_embeddings(tmp_path)


def test_load_rejects_bad_metadata(tmp_path):
    _write(tmp_path)
    path = os.path.join(tmp_path, ie.METADATA_FILE)
    with open(path, "w", encoding="utf-8") as f:
        f.write("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        ie.load_item_embeddings(tmp_path)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"dim": 7}, f)
    with pytest.raises(ValueError, match="dim=7"):
        ie.load_item_embeddings(tmp_path)
