"""Tests of tfx_pipeline/ui/api.py: routes, errors and strict JSON."""

import json
import math

import pytest

from tfx_pipeline.ui.api import Api, clean, to_json
from tfx_pipeline.ui.config import UiConfig


def test_answers_are_strict_json():
    import numpy as np

    payload = {
        "nan": float("nan"),
        "inf": [float("-inf"), 1.5],
        "np": np.float32(2.5),
        "t": (1, 2),
    }
    assert clean(payload) == {"nan": None, "inf": [None, 1.5], "np": 2.5, "t": [1, 2]}
    assert json.loads(to_json({"title": "<b>é</b>"})) == {"title": "<b>é</b>"}


def test_routes_of_the_live_app(ui):
    api = ui.api
    status, runs = api.handle("/api/runs")
    assert status == 200 and len(runs["runs"]) == 2
    status, page = api.handle("/api/runs/" + "2026-11-30T11%3A00%3A00.000002")
    assert status == 200 and math.isnan(page["model_card"]["metrics"]["eval"]["model_ndcg@10"])
    assert json.loads(to_json(page))["model_card"]["metrics"]["eval"]["model_ndcg@10"] is None
    status, answer = api.handle("/api/recommend?user=u1&k=3&history=i1&history=i2")
    assert (
        status == 200
        and len(answer["items"]) == 3
        and [h["item_id"] for h in answer["history"]] == ["i1", "i2"]
    )
    status, off = api.handle("/api/switch-off?user=u1&k=3&off=popularity")
    assert status == 200 and off["off"] == ["popularity"]
    status, item = api.handle("/api/items/i7?n=2")
    assert status == 200 and len(item["blend"]) == 2
    status, found = api.handle("/api/search?q=Item%20number%2012")
    assert status == 200 and found["items"][0]["item_id"] == "i12"
    status, agents = api.handle("/api/agents")
    assert status == 200 and agents["shares"]["users_from"] == "request log"
    status, overview = api.handle("/api/status")
    assert (
        status == 200 and overview["server"]["available"] and overview["catalogue"]["items"] == 50
    )
    assert api.handle("/api/continuous")[0] == 200


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/api/nope", 404, "no API route"),
        ("/api/runs/nope", 404, "matches no run"),
        ("/api/recommend?user=u1&k=ten", 400, "k must be a whole number"),
        ("/api/recommend?user=u1&k=0", 400, "k must be in 1..200"),
        ("/api/switch-off?user=u1&off=nobody", 400, "unknown agent"),
    ],
)
def test_errors_name_the_problem(ui, path, status, message):
    got, payload = ui.api.handle(path)
    assert got == status and message in payload["error"]


def test_without_a_model_server_the_explorer_says_how_to_start_it(fake_base):
    api = Api(UiConfig(pipeline_root=str(fake_base / "pipeline")))
    status, payload = api.handle("/api/recommend?user=u1")
    assert status == 503 and "--server" in payload["error"]
    status, overview = api.handle("/api/status")
    assert status == 200 and not overview["server"]["available"]
    assert api.handle("/api/agents")[1]["shares"] is None


def test_an_unreachable_model_server_is_a_502_not_a_crash(fake_base):
    import portpicker

    api = Api(
        UiConfig(
            pipeline_root=str(fake_base / "pipeline"),
            server=f"127.0.0.1:{portpicker.pick_unused_port()}",
            timeout_s=2,
        )
    )
    status, payload = api.handle("/api/recommend?user=u1")
    assert status == 502 and "UNAVAILABLE" in payload["error"]
    assert api.handle("/api/status")[1]["server"]["available"] is False
