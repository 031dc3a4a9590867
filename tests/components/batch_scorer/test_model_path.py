"""Tests of components/batch_scorer/model_path.py."""

import os
import shutil

import pytest

from components.batch_scorer import model_path


def test_base_path_resolves_to_highest_version(standin_base):
    assert model_path.resolve_saved_model(standin_base) == os.path.join(standin_base, "2")
    assert (model_path.resolve_saved_model(os.path.join(standin_base, "1"))
            == os.path.join(standin_base, "1"))


def test_tfx_model_artifact_layout(standin_base, tmp_path):
    shutil.copytree(os.path.join(standin_base, "1"), tmp_path / "Format-Serving")
    assert model_path.resolve_saved_model(str(tmp_path)) == str(tmp_path / "Format-Serving")


def test_missing_model_says_what_was_expected(tmp_path):
    (tmp_path / "7").mkdir()  # A version folder without a SavedModel is ignored.
    with pytest.raises(FileNotFoundError, match="TF Serving base path"):
        model_path.resolve_saved_model(str(tmp_path))


def test_signature_check(standin_base):
    model_path.check_signature(os.path.join(standin_base, "1"))


def test_user_vocabulary_from_assets_extra(standin_base, tmp_path):
    saved = tmp_path / "m"
    shutil.copytree(os.path.join(standin_base, "1"), saved)
    assert model_path.model_user_ids(str(saved)) is None
    (saved / "assets.extra").mkdir(exist_ok=True)
    (saved / "assets.extra" / model_path.USER_IDS_ASSET).write_text("u3\nu5\n\n")
    assert model_path.model_user_ids(str(saved)) == ["u3", "u5"]
