"""Tests of tfx_pipeline/ui/explorer.py against a live stand-in model server (gRPC)."""

import pytest

from serving.client import RecommendClient
from tests.tfx_pipeline.ui.fake_root import EVIL_ITEM, EVIL_TITLE, write_items
from tfx_pipeline.ui.catalogue import Catalogue
from tfx_pipeline.ui.explorer import Explorer


@pytest.fixture(scope="module")
def explorer(model_server, tmp_path_factory):
    catalogue = Catalogue(write_items(str(tmp_path_factory.mktemp("items") / "items.csv")))
    with RecommendClient(model_server.target, "m") as client:
        yield Explorer(client, lambda: catalogue, pool=1000)


def test_top_k_with_titles_and_contributions_that_sum_to_the_score(explorer):
    answer = explorer.recommend("u1", [], 5)
    assert answer["agent_names"] == ["collaborative", "popularity"] and len(answer["items"]) == 5
    for rank, row in enumerate(answer["items"], start=1):
        assert row["rank"] == rank
        assert row["title"] == (
            EVIL_TITLE if row["item_id"] == EVIL_ITEM else f"Item number {row['item_id'][1:]}"
        )
        assert sum(row["contributions"].values()) == pytest.approx(row["score"], rel=1e-5)
    assert [r["score"] for r in answer["items"]] == sorted(
        (r["score"] for r in answer["items"]), reverse=True
    )


def test_history_of_an_unknown_user_is_used(explorer):
    with_history = explorer.recommend("", ["i3", "i4"], 5)
    without = explorer.recommend("", [], 5)
    assert [h["item_id"] for h in with_history["history"]] == ["i3", "i4"]
    assert [r["item_id"] for r in with_history["items"]] != [
        r["item_id"] for r in without["items"]
    ]


def test_switching_an_agent_off_reblends_from_the_others(explorer):
    full = explorer.recommend("u1", [], 5)
    off = explorer.switch_off("u1", [], 5, ["popularity"])
    assert off["method"] == "score" and off["off"] == ["popularity"] and len(off["items"]) == 5
    scores = [r["score"] for r in off["items"]]
    assert scores == sorted(scores, reverse=True)
    for row in off["items"]:
        assert row["score"] == pytest.approx(row["contributions"]["collaborative"], rel=1e-6)
        assert row["full_score"] == pytest.approx(sum(row["contributions"].values()), rel=1e-6)
        assert row["change"] == row["previous_rank"] - row["rank"] and row["entered"] == (
            row["previous_rank"] > 5
        )
    kept = {r["item_id"] for r in off["items"]}
    assert {d["item_id"] for d in off["dropped"]} == {r["item_id"] for r in full["items"]} - kept
    nothing_off = explorer.switch_off("u1", [], 5, [])
    assert [r["item_id"] for r in nothing_off["items"]] == [r["item_id"] for r in full["items"]]


def test_a_history_query_keeps_recommends_contributions(explorer):
    off = explorer.switch_off("", ["i3"], 4, ["collaborative"])
    assert off["method"] == "recommend"
    assert all(r["score"] == pytest.approx(r["contributions"]["popularity"]) for r in off["items"])
    with pytest.raises(ValueError, match="unknown agent"):
        explorer.switch_off("u1", [], 5, ["nope"])


def test_neighbours_per_agent_ordered_by_its_contribution(explorer):
    answer = explorer.neighbours("i48", n=6)  # a cold item (no train counts in the fake root)
    assert answer["item"]["item_id"] == "i48" and answer["pool"] == 49  # every other item
    for name in answer["agent_names"]:
        column = [r["contributions"][name] for r in answer["by_agent"][name]]
        assert len(column) == 6 and column == sorted(column, reverse=True)
        assert "i48" not in {r["item_id"] for r in answer["by_agent"][name]}
    assert [r["score"] for r in answer["blend"]] == sorted(
        (r["score"] for r in answer["blend"]), reverse=True
    )


def test_bad_requests_say_what_to_fix(explorer):
    with pytest.raises(ValueError, match="k must be in 1..200"):
        explorer.recommend("u1", [], 0)
    with pytest.raises(ValueError, match="at most 50"):
        explorer.recommend("u1", ["i1"] * 51, 5)
    with pytest.raises(ValueError, match="give an item id"):
        explorer.neighbours("")


def test_shares_of_the_contributions(explorer):
    shares = explorer.agent_shares(["u1", "u2", ""], k=5)
    assert shares["users"] == 2 and shares["items"] == 10
    assert sum(shares["share"].values()) == pytest.approx(1.0)
    assert set(shares["mean"]) == {"collaborative", "popularity"}


def test_status_names_the_served_version(explorer):
    status = explorer.status()
    assert status["available"] and status["serving_version"] == 2


class _FlatClient:
    """One agent ("cf") gives every item the same contribution, as a collaborative agent
    does for an unknown user."""

    def recommend(self, users, k, history=None):
        return [
            {
                "item_ids": ["a", "b", "c"],
                "scores": [3.0, 2.0, 1.0],
                "agent_scores": [[1.0, 2.0], [1.0, 1.0], [1.0, 0.0]],
                "agent_names": ["cf", "text"],
            }
        ]


def test_an_agent_with_the_same_contribution_everywhere_ranks_nothing():
    answer = Explorer(_FlatClient(), lambda: Catalogue(), pool=10).neighbours("x", n=2)
    assert answer["flat"] == ["cf"] and answer["by_agent"]["cf"] == []
    assert [r["item_id"] for r in answer["by_agent"]["text"]] == ["a", "b"]
