import math

import numpy as np
import pytest

from rec_model.ranking_metrics import (coverage_and_popularity, evaluate_scores, ndcg_at_k,
                                      recall_at_k)


def test_recall_divides_by_min_of_relevant_and_k():
    assert recall_at_k([1, 2, 3], [2, 9], 3) == pytest.approx(0.5)
    assert recall_at_k([1, 2, 3, 4], [1, 2, 3, 4, 5, 6], 2) == pytest.approx(1.0)


def test_ndcg_binary_gain_log2_discount():
    # hits at ranks 1 and 3 of 3; two relevant -> ideal = 1 + 1/log2(3)
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([5, 0, 7], [5, 7], 3) == pytest.approx(expected)
    assert ndcg_at_k([0, 1], [9], 2) == 0.0


def test_empty_relevant_is_an_error():
    with pytest.raises(ValueError):
        recall_at_k([1], [], 1)


def test_evaluate_scores_excludes_train_items_and_skips_users_without_test():
    scores = np.array([[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4]])
    out = evaluate_scores(scores, {0: [2], 1: []}, {0: [0, 1]}, ks=(1, 2))
    assert out["users"] == 1
    assert out["recall@1"] == pytest.approx(1.0)  # items 0, 1 excluded -> item 2 first
    assert out["ndcg@2"] == pytest.approx(1.0)


def test_candidate_items_restrict_the_ranking():
    scores = np.array([[0.9, 0.8, 0.1, 0.0]])
    out = evaluate_scores(scores, {0: [3]}, {}, ks=(1,), candidate_items=np.array([2, 3]))
    assert out["recall@1"] == 0.0
    out = evaluate_scores(scores, {0: [2]}, {}, ks=(1,), candidate_items=np.array([2, 3]))
    assert out["recall@1"] == 1.0


def test_coverage_and_popularity_percentile():
    scores = np.array([[3.0, 2.0, 1.0, 0.0], [3.0, 2.0, 1.0, 0.0]])
    out = coverage_and_popularity(scores, {1: [0]}, np.array([10, 5, 1, 0]), k=1)
    assert out["coverage@1"] == pytest.approx(0.5)  # items 0 and 1
    assert out["popularity_percentile@1"] == pytest.approx((100.0 + 200.0 / 3) / 2)
