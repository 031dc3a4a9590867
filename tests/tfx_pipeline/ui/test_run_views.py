"""Tests of tfx_pipeline/ui/run_views.py over a fake pipeline root (2 runs, the 2nd pushed)."""

import pytest

from tests.tfx_pipeline.ui.fake_root import AGENTS
from tfx_pipeline.ui.run_views import RunViews

FIRST, SECOND = "2026-11-30T10:00:00.000001", "2026-11-30T11:00:00.000002"


@pytest.fixture(scope="module")
def views(fake_base):
    return RunViews(str(fake_base / "pipeline"))


def test_runs_newest_first_with_data_gate_and_push(views):
    listed = views.list_runs()
    assert listed["message"] == ""
    second, first = listed["runs"]
    assert (second["run_id"], first["run_id"]) == (SECOND, FIRST)
    assert (second["span"], second["rows_read"], second["rows_quarantined"]) == (1, 480, 4)
    assert second["metrics"] == {
        "candidate_ndcg_at_10": pytest.approx(0.36),
        "popularity_ndcg_at_10": 0.2,
    }
    assert second["blessed"] and second["pushed"] and second["model_version"] == "2"
    assert not first["blessed"] and not first["pushed"] and first["model_version"] is None
    assert first["push_message"].startswith("not pushed") and first["infra_blessed"] is None


def test_run_page_reads_the_artifacts_files(views):
    page = views.run_page(SECOND)
    assert [c["node_id"] for c in page["components"]][:2] == ["example_gen", "transform"]
    assert page["components"][2]["properties"]["items_path"].endswith("items.csv")
    assert page["model_card"]["agents"] == list(AGENTS)
    assert page["curves"]["agents/train"]["alpha_collaborative"][0] == [0, pytest.approx(0.5)]
    assert page["evaluation"]["baseline"] == {"ndcg@10": 0.30, "recall@10": 0.40}
    assert page["pushes"][0]["version"] == "2"
    assert views.run_page("latest")["summary"]["run_id"] == SECOND
    with pytest.raises(KeyError, match="matches no run"):
        views.run_page("nope")


def test_models_and_catalogue_sources(views):
    models = views.models()["models"]
    assert [m["label"] for m in models] == [f"{FIRST[:19]} (not pushed)", "v2"]
    assert models[1]["alpha"] == {
        "collaborative": pytest.approx(0.6),
        "popularity": pytest.approx(0.4),
    }
    sources = views.latest_sources()
    assert sources["run_id"] == SECOND and sources["items_csv"].endswith("items.csv")
    assert sources["transform_graph"].endswith("transform_graph/2")


def test_before_the_first_run_pages_say_so(tmp_path):
    views = RunViews(str(tmp_path))
    assert views.list_runs()["runs"] == [] and "metadata.sqlite" in views.list_runs()["message"]
    assert views.models()["models"] == [] and views.latest_sources() == {}
