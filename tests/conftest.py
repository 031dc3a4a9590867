"""Test-wide setup: Keras 2 for TFRS must be chosen before TensorFlow is imported."""

import os
import pathlib

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
MOVIELENS_DIR = REPO_ROOT.parent / "shared" / "datasets" / "movielens-100k"


@pytest.fixture(scope="session")
def movielens_dir():
    """The raw MovieLens-100K folder from ../shared; skips when absent."""
    if not (MOVIELENS_DIR / "u.data").exists():
        pytest.skip(f"MovieLens-100K not found at {MOVIELENS_DIR}")
    return MOVIELENS_DIR
