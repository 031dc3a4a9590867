"""Tests of components/batch_scorer/model_handler.py without a Beam pipeline."""

import os

import numpy as np
import pytest

from components.batch_scorer.model_handler import RecommendModelHandler, to_row
from rec_model import features as F


@pytest.fixture(scope="module")
def handler_and_model(standin_base):
    handler = RecommendModelHandler(os.path.join(standin_base, "1"), k=5, max_batch_size=8)
    return handler, handler.load_model()


def test_batch_of_users_with_excludes(handler_and_model):
    handler, model = handler_and_model
    results = list(handler.run_inference([("u1", []), ("u1", ["i3", "i7"]), ("stranger", [])], model))
    assert [r.example[0] for r in results] == ["u1", "u1", "stranger"]
    plain, excluded, stranger = (r.inference for r in results)
    assert len(plain[F.ITEM_IDS]) == 5 and plain[F.SCORES] == sorted(plain[F.SCORES], reverse=True)
    assert not {"i3", "i7"} & set(excluded[F.ITEM_IDS])
    assert set(plain[F.AGENT_SCORES]) == {"collaborative", "popularity"}
    assert len(stranger[F.ITEM_IDS]) == 5  # Unknown users still get (popularity) fallbacks.
    assert handler.batch_elements_kwargs()["max_batch_size"] == 8


def test_k_larger_than_catalogue_names_the_fix(standin_base, handler_and_model):
    _, model = handler_and_model
    handler = RecommendModelHandler(os.path.join(standin_base, "1"), k=500)
    with pytest.raises(RuntimeError, match="Lower --k"):
        handler.run_inference([("u1", [])], model)


def test_excluded_slots_are_dropped_from_rows():
    outputs = {F.ITEM_IDS: np.array([[b"a", b"b", b"c"]], object), F.SCORES: np.array([[2.0, 1.0, -np.inf]], "float32"),
               F.AGENT_SCORES: np.ones((1, 3, 1), "float32"), F.AGENT_NAMES: np.array([b"cf"], object)}
    row = to_row("u", outputs, 0, include_agent_scores=True)
    assert row == {"user_id": "u", "item_ids": ["a", "b"], "scores": [2.0, 1.0], "agent_scores": {"cf": [1.0, 1.0]}}
    assert "agent_scores" not in to_row("u", outputs, 0, include_agent_scores=False)
