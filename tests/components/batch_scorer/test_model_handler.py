"""Tests of components/batch_scorer/model_handler.py without a Beam pipeline."""

import json
import os

import pytest

from components.batch_scorer.batch_plan import ScoringBlock
from components.batch_scorer.model_handler import RecommendModelHandler


@pytest.fixture(scope="module")
def handler_and_model(standin_base):
    handler = RecommendModelHandler(os.path.join(standin_base, "1"), k=5)
    return handler, handler.load_model()


def test_a_block_becomes_its_json_lines(handler_and_model):
    handler, model = handler_and_model
    block = ScoringBlock("00001-000000", ["u1", "u1", "stranger"], [[], ["i3", "i7"], []])
    (result,) = handler.run_inference([block], model)
    assert result.example == "00001-000000"
    rows = [json.loads(line) for line in result.inference.splitlines()]
    assert [r["user_id"] for r in rows] == ["u1", "u1", "stranger"]
    plain, excluded, stranger = rows
    assert len(plain["item_ids"]) == 5 and plain["scores"] == sorted(plain["scores"], reverse=True)
    assert not {"i3", "i7"} & set(excluded["item_ids"])
    assert set(plain["agent_scores"]) == {"collaborative", "popularity"}
    assert len(stranger["item_ids"]) == 5  # Unknown users still get (popularity) fallbacks.
    assert handler.batch_elements_kwargs() == {"min_batch_size": 1, "max_batch_size": 1}


def test_k_larger_than_catalogue_names_the_fix(standin_base, handler_and_model):
    _, model = handler_and_model
    handler = RecommendModelHandler(os.path.join(standin_base, "1"), k=500)
    with pytest.raises(RuntimeError, match="Lower --k"):
        handler.run_inference([ScoringBlock("k", ["u1"], [[]])], model)


def test_runinference_can_read_the_worker_memory_without_torch():
    from apache_beam.ml.inference import base

    assert base._get_current_process_memory_in_bytes() > 0  # pylint: disable=protected-access


def test_each_worker_keeps_freed_memory_when_it_loads_the_model(standin_base, monkeypatch):
    from serving import allocator

    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append("set") or True)
    RecommendModelHandler(os.path.join(standin_base, "1"), k=5).load_model()
    assert calls == ["set"]  # The page-fault effect itself: tests/serving/test_allocator.py.
