"""Headless Chromium against the app over a real small pipeline run and its pushed model,
served by a live model server process (slow: a few minutes, mostly the pipeline)."""

import csv
import dataclasses
import os
import urllib.parse

import pytest

from tests.tfx_pipeline.ui import page_checks
from tests.tfx_pipeline.ui.browser import Browser, require_browser
from tests.tfx_pipeline.ui.fake_root import EVIL_TITLE

K = 5


def _hostile_title(items_csv):
    """Gives the first item a title made of markup; returns that item's id."""
    with open(items_csv, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    rows[1][header.index("title")] = EVIL_TITLE
    with open(items_csv, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return rows[1][header.index("item_id")]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """(pipeline root, serving dir, hostile item id) of one real run that pushed a model."""
    require_browser()  # Skip before minutes of pipeline when no browser can look at it.
    from rec_model.config import ModelConfig
    from rec_model.data import synth
    from tfx_pipeline import local_runner
    from tfx_pipeline.config import PipelineConfig

    base = tmp_path_factory.mktemp("ui-run")
    data, root, serving = str(base / "data"), str(base / "pipeline"), str(base / "serving")
    synth.generate_synthetic(
        data, n_users=150, n_items=120, n_interactions=6000, n_topics=6, seed=3
    )
    evil = _hostile_title(os.path.join(data, "items.csv"))
    local_runner.run(
        PipelineConfig(data, root, serving, pretrain="off"),
        model_config=dataclasses.replace(ModelConfig(), epochs=5, gate_epochs=5),
    )
    return root, serving, evil


@pytest.mark.slow
def test_pages_over_a_real_run_and_live_server(pipeline_run, tmp_path):
    from serving.launcher import start_model_server
    from tfx_pipeline.ui.config import UiConfig
    from tfx_pipeline.ui.http_server import UiServer

    root, serving, evil = pipeline_run
    versions = sorted(v for v in os.listdir(os.path.join(serving, "recsys")) if v.isdigit())
    assert len(versions) == 1, "the run pushed no model (see `recsys runs show latest`)"
    shots = tmp_path / "screenshots"
    logs = (
        f"--request_log_dir={tmp_path / 'request_logs'}",
        f"--feedback_log_dir={tmp_path / 'feedback'}",
    )
    with start_model_server(
        os.path.join(serving, "recsys"), "recsys", binary="python", extra_flags=logs
    ) as server:
        server.wait_until_available(timeout=300)
        config = UiConfig(
            pipeline_root=root,
            server=server.grpc_target,
            model_name="recsys",
            port=0,
            request_log_dir=str(tmp_path / "request_logs"),
        )
        with UiServer(config).start() as ui, Browser() as browser:
            page = browser.open(ui.url + "#/runs", "runs")
            [run] = page_checks.runs_table(page)
            assert (
                run["push decision"].startswith("pushed") and run["model version"] == versions[0]
            )
            assert run["rows read"] == "6000" and run["span"] == "0"
            browser.screenshot(shots / "runs.png")

            page = browser.open(ui.url + "#/run/" + urllib.parse.quote(run["run"]), "run")
            assert page.locator("#components-table tbody tr").count() >= 7
            assert page.is_visible("#curve-pairs-train-loss") and page.is_visible(
                "#curve-pairs-train-alpha"
            )
            assert page.locator("#evaluation-table tbody tr").count() >= 2
            browser.screenshot(shots / "run.png")

            agents = ui.api.runs.models()["models"][0]["agents"]
            page = browser.open(ui.url + "#/agents", "agents")
            assert page.locator("#alpha-table tbody tr").count() == 1
            browser.screenshot(shots / "agents.png")

            user = ui.api.catalogue().users[0]
            page = browser.open(
                ui.url + f"#/explorer?user={urllib.parse.quote(user)}&k={K}", "explorer"
            )
            rows, chart = page_checks.assert_bars_sum_to_scores(page)
            assert len(rows) == K and [d["label"] for d in chart["datasets"]] == agents
            assert page.locator("#agent-toggles input").count() == len(agents)
            browser.screenshot(shots / "explorer.png")
            page.click(f"#agent-toggles input[data-agent='{agents[0]}']")
            page.wait_for_selector("#switched-off-table")
            assert len(page_checks.explorer_rows(page, "#switched-off-table")) == K

            page = browser.open(ui.url + f"#/item/{urllib.parse.quote(evil)}", "item")
            page_checks.assert_text_not_markup(page, "#item-title", EVIL_TITLE)
            assert page.locator("#neighbours section").count() == len(agents) + 1
            browser.screenshot(shots / "item.png")
            cold = [i for i in ui.api.catalogue().items if ui.api.catalogue().describe(i)["cold"]]
            if cold:  # the eval split may leave some items without train interactions
                page = browser.open(ui.url + f"#/item/{urllib.parse.quote(cold[0])}", "item")
                flat = ui.api.explorer.neighbours(cold[0])["flat"]
                lists = 1 + len(agents) - len(flat)  # the blend, and each agent that ranks
                assert page.locator("#neighbours section ol li").count() == 10 * lists

            page = browser.open(ui.url + "#/continuous", "continuous")
            assert (
                page.locator("#ctr-version-table tbody tr").count() == 1
            )  # the explorer's own requests
            browser.screenshot(shots / "continuous.png")
            assert browser.errors == []
    assert len(list(shots.glob("*.png"))) == 6
