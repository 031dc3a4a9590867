"""Tests of tfx_pipeline/ui/continuous_view.py."""

import json

from tests.tfx_pipeline.continuous.helpers import feedback
from tfx_pipeline.continuous import decision_log
from tfx_pipeline.ui.continuous_view import ContinuousView


def _log(directory, request_id, version, served, time=1_700_000_000.0):
    from serving.request_log import RequestLogger

    logger = RequestLogger(directory)
    logger.log(
        {
            "request_id": request_id,
            "time": time,
            "model": "recsys",
            "version": version,
            "signature": "recommend",
            "user_ids": list(served),
            "item_ids": list(served.values()),
        }
    )
    logger.close()


def test_ctr_per_version_is_updated_incrementally(tmp_path):
    requests, fb = tmp_path / "requests", tmp_path / "feedback"
    view = ContinuousView(str(fb), str(requests))
    _log(requests, "a", 1, {"u1": ["i1", "i2"], "u2": ["i3", "i4"]})
    feedback(fb, "a", "u1", "i1")
    feedback(fb, "a", "u1", "i1")  # a duplicate counts once
    feedback(fb, "b", "u2", "i9")  # its request is logged later
    feedback(fb, "a", "u2", "i3", event="rating", value=4)
    page = view.page()
    assert page["ctr_by_version"] == [
        {"version": 1, "requests": 1, "served_items": 4, "clicks": 1, "ctr": 0.25}
    ]
    assert page["clicks_without_request"] == 1
    assert page["feedback"]["total"] == 4 and page["feedback"]["by_event"] == {
        "click": 3,
        "rating": 1,
    }
    _log(requests, "b", 2, {"u2": ["i9", "i8"]})
    page = view.page()
    assert [(v["version"], v["clicks"], v["ctr"]) for v in page["ctr_by_version"]] == [
        (1, 1, 0.25),
        (2, 1, 0.5),
    ]
    assert page["clicks_without_request"] == 0
    assert view.recent_users() == ["u1", "u2"]


def test_feedback_volume_buckets_by_hour_then_day(tmp_path):
    fb = tmp_path / "feedback"
    feedback(fb, "a", "u1", "i1", time=3600 * 10 + 5)
    feedback(fb, "a", "u1", "i2", time=3600 * 10 + 50)
    feedback(fb, "a", "u1", "i3", event="dismiss", time=3600 * 12)
    volume = ContinuousView(str(fb)).page()["feedback"]
    assert volume["bucket_seconds"] == 3600
    assert volume["buckets"] == [
        {"time": 36000, "events": {"click": 2}},
        {"time": 43200, "events": {"dismiss": 1}},
    ]
    feedback(fb, "a", "u1", "i4", time=86400 * 30)
    assert ContinuousView(str(fb)).page()["feedback"]["bucket_seconds"] == 86400


def test_trigger_decisions_state_and_simulation(tmp_path):
    root = tmp_path / "pipeline"
    decision_log.append_decision(str(root), {"triggered": True, "span": 1}, 5.0)
    (root / "continuous_state.json").write_text(json.dumps({"span": 1, "runs": 1}))
    (tmp_path / "simulation.json").write_text(
        json.dumps({"rounds": [{"round": 1, "ctr": 0.2, "extra": 1}]})
    )
    page = ContinuousView(
        pipeline_root=str(root), simulation_path=str(tmp_path / "simulation.json")
    ).page()
    assert page["decisions"] == [{"triggered": True, "span": 1, "time": 5.0}]
    assert page["trigger_state"]["span"] == 1 and page["trigger_state"]["runs"] == 1
    assert page["simulation"]["rounds"] == [
        {
            "round": 1,
            "ctr": 0.2,
            "shown": None,
            "clicks": None,
            "model_version": None,
            "retrain": None,
        }
    ]
    (root / "continuous_state.json").write_text("{broken")
    assert (
        "unreadable trigger state"
        in ContinuousView(pipeline_root=str(root)).page()["trigger_state"]["error"]
    )


def test_nothing_configured_is_empty_not_an_error():
    page = ContinuousView().page()
    assert (
        page["feedback"]["total"] == 0 and page["ctr_by_version"] == [] and page["decisions"] == []
    )
    assert page["simulation"] is None and page["trigger_state"] is None
