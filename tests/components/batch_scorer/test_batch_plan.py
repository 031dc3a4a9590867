"""Tests of components/batch_scorer/batch_plan.py."""

import random

import pytest

from components.batch_scorer import batch_plan


@pytest.mark.parametrize("max_batch_size, max_cells",
                         [(1, 1), (4, 10), (64, 100), (1000, 1 << 20)])
def test_calls_are_bounded_and_cover_every_user_once(max_batch_size, max_cells):
    rng = random.Random(max_batch_size)
    lengths = [int(rng.paretovariate(1.2)) for _ in range(500)] + [0, 0, 700]
    calls = batch_plan.plan_calls(lengths, max_batch_size, max_cells)
    assert sorted(p for call in calls for p in call) == list(range(len(lengths)))
    for call in calls:
        assert len(call) <= max_batch_size
        width = max(1, max(lengths[p] for p in call))
        assert len(call) == 1 or len(call) * width <= max_cells


def test_short_lists_go_together_and_ties_keep_order():
    calls = batch_plan.plan_calls([5, 0, 1, 0, 5], max_batch_size=2, max_cells=100)
    assert calls == [[1, 3], [2, 0], [4]]


def test_blocks_carry_users_and_excludes_with_sortable_keys():
    blocks = batch_plan.blocks("00007", ["a", "b", "c"], [["x"], [], ["y", "z"]], max_batch_size=2,
                               max_cells=100)
    assert [b.key for b in blocks] == ["00007-000000", "00007-000001"]
    assert blocks[0].user_ids == ["b", "a"] and blocks[0].excludes == [[], ["x"]]
    assert blocks[1] == batch_plan.ScoringBlock("00007-000001", ["c"], [["y", "z"]])
    assert batch_plan.blocks("0", [], [], 2, 100) == []
