import numpy as np
import pytest

from rec_model.evaluation import evaluate, held_out_sets, popularity_ids, ranking_metrics
from rec_model.interactions import Interactions
from tests.rec_model.synthetic import NUM_ITEMS, fitted_model, stored_items


@pytest.fixture(scope="module")
def split(fitted):
    _, data, text = fitted
    rest, held = data.split_per_user(0.34, seed=0)
    return fitted_model(data=rest, text=text), rest, held


def test_ranking_metrics_ignore_padding():
    ids = np.array([[4, 2, -1], [-1, -1, -1]])
    out = ranking_metrics(ids, np.array([0, 1]), {0: {2}, 1: {5}}, ks=(2,))
    assert out["recall@2"] == pytest.approx(0.5) and out["recall@2_ci95"] > 0
    assert out["ndcg@2"] == pytest.approx((1 / np.log2(3)) / 2)


def test_held_out_sets_drop_stored_items_and_users_left_without_any(split):
    model, rest, _ = split
    stored0, stored1 = stored_items(model, 0)[0], stored_items(model, 1)[0]
    new1 = next(i for i in range(NUM_ITEMS) if i not in stored_items(model, 1))
    test = Interactions(np.array([0, 1, 1]), np.array([stored0, stored1, new1]),
                        rest.num_users, NUM_ITEMS)
    users, relevant = held_out_sets(model, test, 10, 0)
    assert users.tolist() == [1] and relevant == {1: {new1}}


def test_evaluate_reports_metrics_with_cis_and_agent_shares(split):
    model, rest, held = split
    out = evaluate(model, held, ks=(5, 10), baseline_counts=rest.item_counts())
    for key in ("recall@5", "ndcg@10", "recall@10_ci95", "popularity_recall@10",
                "popularity_ndcg@5_ci95"):
        assert np.isfinite(out[key]), key
    assert 0 <= out["recall@10"] <= 1 and out["recall@5"] <= out["recall@10"] + 1e-9
    assert out["users"] == out["users_total"] == len(set(held.user_index.tolist()))
    assert list(out["agent_share"]) == model.agent_names
    assert sum(out["agent_share"].values()) == pytest.approx(1.0)
    capped = evaluate(model, held, ks=(10,), max_users=5)
    assert capped["users"] == 5 and capped["users_total"] == out["users_total"]
    assert "popularity_recall@10" not in capped


def test_evaluate_without_test_users_is_empty(split):
    model, rest, _ = split
    assert evaluate(model, rest) == {}  # every test item is stored


def test_popularity_baseline_skips_stored_items(split):
    model, rest, _ = split
    counts = rest.item_counts()
    out = popularity_ids(model, np.array([0, 1]), counts, 4)
    order = np.argsort(-counts, kind="stable")
    for row, user in zip(out, [0, 1]):
        want = [i for i in order if i not in stored_items(model, user)][:4]
        assert row.tolist() == want
