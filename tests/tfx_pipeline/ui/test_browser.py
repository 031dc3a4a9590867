"""Headless Chromium against the app over a fake pipeline root and a live stand-in server.

The slow twin, tests/tfx_pipeline/ui/test_browser_pipeline.py, does the same over a real
pipeline run and its pushed model.
"""

import urllib.parse

from tests.tfx_pipeline.ui import page_checks
from tests.tfx_pipeline.ui.browser import Browser, require_browser
from tests.tfx_pipeline.ui.fake_root import EVIL_ITEM, EVIL_TITLE

K = 5


def test_every_page_renders_escapes_titles_and_explains_scores(ui, tmp_path):
    require_browser()
    shots = tmp_path / "screenshots"
    with Browser() as browser:
        page = browser.open(ui.url + "#/runs", "runs")
        rows = page_checks.runs_table(page)
        assert [r["run"] for r in rows] == [
            "2026-11-30T11:00:00.000002",
            "2026-11-30T10:00:00.000001",
        ]
        assert rows[0]["push decision"].startswith("pushed") and rows[0]["model version"] == "2"
        assert rows[1]["push decision"].startswith("not pushed model_blessing is not blessed")
        browser.screenshot(shots / "runs.png")

        page = browser.open(ui.url + "#/run/" + urllib.parse.quote(rows[0]["run"]), "run")
        assert page.is_visible("#curve-agents-train-loss") and page.is_visible(
            "#curve-agents-train-alpha"
        )
        assert "pushed" in page.text_content("#decisions-table")
        assert page.locator("#components-table tbody tr").count() == 7
        assert page.locator("#evaluation-table tbody tr").count() == 2  # ndcg@10, recall@10
        browser.screenshot(shots / "run.png")

        page = browser.open(ui.url + "#/agents", "agents")
        assert page.locator("#alpha-table tbody tr").count() == 2
        assert page.text_content("#shares-table").count("%") == 2
        browser.screenshot(shots / "agents.png")

        page = browser.open(ui.url + f"#/explorer?user=u1&history={EVIL_ITEM}&k={K}", "explorer")
        shown, chart = page_checks.assert_bars_sum_to_scores(page)
        assert len(shown) == K and [d["label"] for d in chart["datasets"]] == [
            "collaborative",
            "popularity",
        ]
        assert all(abs(r["sum"] - r["score"]) < 1e-3 for r in shown)
        assert EVIL_TITLE in page.text_content("main")  # the history's title, as text
        page_checks.assert_nothing_ran(page)
        browser.screenshot(shots / "explorer.png")

        page.click("#agent-toggles input[data-agent='popularity']")
        page.wait_for_selector("#switched-off-table")
        page.wait_for_selector('main#view[aria-busy="false"]')
        off = page_checks.explorer_rows(page, "#switched-off-table")
        assert len(off) == K
        chart_off = page.evaluate(page_checks.CONTRIBUTIONS_JS, "switched-off-chart")
        assert [d["label"] for d in chart_off["datasets"]] == ["collaborative"]
        for index, row in enumerate(off):  # re-blended score = the remaining agent's contribution
            assert abs(chart_off["datasets"][0]["data"][index] - row["score"]) < 1e-3
        browser.screenshot(shots / "explorer-switched-off.png")

        page = browser.open(ui.url + f"#/item/{EVIL_ITEM}", "item")
        page_checks.assert_text_not_markup(page, "#item-title", EVIL_TITLE)
        assert page.locator("#neighbours section").count() == 3  # blend + one per agent
        browser.screenshot(shots / "item.png")

        page = browser.open(ui.url + "#/item/i49", "item")
        assert "cold" in page.text_content("main")
        assert page.locator("#neighbours section ol li").count() == 30

        page = browser.open(ui.url + "#/continuous", "continuous")
        assert page.locator("#ctr-version-table tbody tr").count() == 1
        assert page.locator("#rounds-table tbody tr").count() == 2
        assert page.locator("#trigger-table tbody tr").count() == 2
        browser.screenshot(shots / "continuous.png")
        assert browser.errors == []
    assert sorted(p.name for p in shots.iterdir()) == [
        "agents.png",
        "continuous.png",
        "explorer-switched-off.png",
        "explorer.png",
        "item.png",
        "run.png",
        "runs.png",
    ]
