import math

import pytest

from components.evaluator import metrics
from components.evaluator.eval_data import EvalSet


def test_rank_metrics_hand_computed():
    # user 1: relevant b at rank 2; user 2: relevant x, y at ranks 1 and 3.
    out = metrics.rank_metrics([["a", "b", "c"], ["x", "q", "y"]], [{"b"}, {"x", "y"}],
                               ks=(1, 2, 3))
    assert out["users"] == 2
    assert out["recall@1"] == pytest.approx((0 + 1 / 1) / 2)
    assert out["recall@2"] == pytest.approx((1 + 1 / 2) / 2)
    assert out["recall@3"] == pytest.approx((1 + 1) / 2)
    ndcg2_u1 = (1 / math.log2(3)) / 1.0
    ndcg2_u2 = 1.0 / (1 + 1 / math.log2(3))
    assert out["ndcg@2"] == pytest.approx((ndcg2_u1 + ndcg2_u2) / 2)
    ndcg3_u2 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert out["ndcg@3"] == pytest.approx((ndcg2_u1 + ndcg3_u2) / 2)


def test_short_lists_count_missing_ranks_as_misses():
    out = metrics.rank_metrics([["a"]], [{"a", "b"}], ks=(10,))
    assert out["recall@10"] == pytest.approx(0.5)
    assert out["ndcg@10"] == pytest.approx(1.0 / (1 + 1 / math.log2(3)))


def test_rank_metrics_rejects_mismatched_input():
    with pytest.raises(ValueError, match="one list per user"):
        metrics.rank_metrics([["a"]], [], ks=(1,))
    with pytest.raises(ValueError, match="no users"):
        metrics.rank_metrics([], [], ks=(1,))


def test_popularity_excludes_each_users_train_items():
    train = [("u1", "pop", 1), ("u2", "pop", 1), ("u3", "pop", 1), ("u2", "mid", 2),
             ("u3", "mid", 2), ("u3", "low", 3)]
    eval_ = [("u1", "mid", 9), ("u2", "low", 9), ("u3", "new", 9)]
    data = EvalSet.from_rows(train, eval_)
    assert metrics.popularity_ranking(data.item_counts) == ["pop", "mid", "low"]
    out = metrics.popularity_metrics(data, ks=(1, 2))
    # u1 gets [mid, low] (pop seen): hit at 1. u2 gets [low]: hit at 1. u3 has seen all: miss.
    assert out["users"] == 3
    assert out["recall@1"] == pytest.approx(2 / 3)
    assert out["ndcg@2"] == pytest.approx(2 / 3)
