import numpy as np
import pytest

from components.evaluator import model_io
from tests.components.evaluator import standin_data


def test_serving_model_dir_accepts_both_layouts(tmp_path):
    tfx_layout = standin_data.export_model(tmp_path / "a")
    assert model_io.serving_model_dir(tfx_layout.uri).endswith("Format-Serving")
    direct = standin_data.export_model(tmp_path / "b", serving_subdir=False)
    assert model_io.serving_model_dir(direct.uri) == direct.uri
    with pytest.raises(FileNotFoundError, match="Format-Serving"):
        model_io.serving_model_dir(str(tmp_path / "nothing"))


def test_pad_ids_pads_with_empty_strings():
    out = model_io.pad_ids([["a"], [], ["b", "c"]])
    assert out.shape == (3, 2) and out.tolist() == [[b"a", b""], [b"", b""], [b"b", b"c"]]
    assert model_io.pad_ids([[], []]).shape == (2, 1)


def test_signatures_call_recommend_and_score(tmp_path):
    model = model_io.ServingSignatures(
        model_io.serving_model_dir(standin_data.export_model(tmp_path).uri))
    out = model.recommend(["u0", "u1"], 4, [[], ["i1"]], [["i0"], []])
    assert out["item_ids"].shape == (2, 4) and out["agent_scores"].shape == (2, 4, 2)
    assert list(out["agent_names"]) == ["collaborative", "popularity"]
    assert "i0" not in out["item_ids"][0]
    assert (model.has_score
            and model.score(["u0"], [["i1", "i2"]])["agent_scores"].shape == (1, 2, 2))


def test_score_takes_pre_encoded_or_shared_items(tmp_path):
    model = model_io.ServingSignatures(
        model_io.serving_model_dir(standin_data.export_model(tmp_path).uri))
    lists = model.score(["u0", "u1"], [["i1", "i2"], ["i1", "i2"]])
    encoded = np.repeat(model_io.pad_ids([["i1", "i2"]]), 2, axis=0)
    shared = model_io.shared_items(["i1", "i2"])
    for out in (model.score(["u0", "u1"], encoded), model.score(["u0", "u1"], shared)):
        np.testing.assert_array_equal(out["agent_scores"], lists["agent_scores"])
        np.testing.assert_array_equal(out["scores"], lists["scores"])
