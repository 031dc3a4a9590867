"""The scale benchmark's helpers: progress parsing, RSS sampling, exponents, merging."""

import json
import sys

import pytest

from bench.scale import monitor, report, stages


def _lines(*texts, step=1.0):
    return [(100.0 + n * step, text + "\n") for n, text in enumerate(texts)]


def test_parse_progress_windows_and_cached():
    lines = _lines("[10:00:00] > example_gen", "noise", "[10:00:02] + example_gen 2.0s",
                   "[10:00:02] > transform", "[10:00:03] + transform 1.5s (cached)")
    got = monitor.parse_progress(lines)
    assert [c["name"] for c in got] == ["example_gen", "transform"]
    assert got[0]["start"] == 100.0 and got[0]["end"] == 102.0 and got[0]["seconds"] == 2.0
    assert got[1]["cached"] and got[1]["finished"]


def test_parse_progress_reads_end_lines_with_a_rate():
    lines = _lines("[10:00:00] > example_gen",
                   "[10:00:35] + example_gen 35.0s: 4,000,000 rows in 34.6s (115,520 rows/s)")
    (stage,) = monitor.parse_progress(lines)
    assert stage["finished"] and stage["seconds"] == 35.0


def test_parse_progress_marks_a_crashed_component():
    lines = _lines("[10:00:00] > trainer", "Traceback (most recent call last):", "MemoryError")
    (trainer,) = monitor.parse_progress(lines)
    assert not trainer["finished"]
    assert trainer["end"] == 102.0 and trainer["seconds"] == 2.0


def test_peak_between_uses_the_window_or_the_nearest_sample():
    samples = [(0.0, 10, 1.0), (0.5, 30, 1.0), (1.0, 20, 1.0), (1.5, 5, 1.0)]
    assert monitor.peak_between(samples, 0.4, 1.1) == 30
    assert monitor.peak_between(samples, 1.4, 1.45) == 5  # shorter than the sampling period
    assert monitor.peak_between([], 0, 1) == 0
    assert monitor.rss_at(samples, 0.9) == 30


def test_run_monitored_times_lines_and_counts_children(tmp_path):
    # The child allocates ~64 MiB in a grandchild, so the tree's peak must exceed that.
    code = ("import subprocess, sys; print('[00:00:00] > a', flush=True); "
            "subprocess.run([sys.executable, '-c', "
            "'import time; b = bytearray(64 << 20); b[::4096] = b\"x\" * len(b[::4096]); "
            "time.sleep(1.2)']); print('[00:00:01] + a 1.2s', flush=True)")
    log = tmp_path / "log.txt"
    done = monitor.run_monitored([sys.executable, "-c", code], str(log), interval=0.1)
    assert done.returncode == 0
    (window,) = monitor.parse_progress(done.lines)
    assert window["finished"] and window["end"] > window["start"]
    assert monitor.peak_between(done.samples, window["start"], window["end"]) > 64 << 20
    assert "> a" in log.read_text()


def test_run_monitored_kills_on_timeout(tmp_path):
    done = monitor.run_monitored([sys.executable, "-c", "import time; time.sleep(30)"],
                                 str(tmp_path / "log"), timeout=0.5)
    assert done.returncode is None and done.seconds < 10


def test_cost_exponent_is_the_log_log_slope():
    assert stages.cost_exponent([1, 10, 100], [5, 50, 500]) == pytest.approx(1.0)
    assert stages.cost_exponent([1e5, 1e6], [1, 100]) == pytest.approx(2.0)
    assert stages.cost_exponent([10], [3]) is None
    assert stages.cost_exponent([10, 100], [0, 5]) is None  # a zero cost is not a point


def _size(interactions, seconds, rss=2**30, finished=True):
    return {"spec": {"users": 1, "items": 1, "interactions": interactions},
            "interactions": interactions, "command": "c",
            "stages": {"ingest": {"seconds": seconds, "peak_rss": rss, "finished": finished},
                       "training": {"seconds": 10.0, "peak_rss": rss, "finished": True}}}


def test_exponents_flag_superlinear_and_skip_crashed_and_dev_sizes():
    results = {"XS": _size(10, 1.0), "S": _size(100, 1.0), "M": _size(1000, 100.0),
               "L": _size(10000, 1.0, finished=False)}
    got = stages.exponents(results, report.PROTOCOL_SIZES)
    assert got["ingest"]["time"] == pytest.approx(2.0) and got["ingest"]["superlinear"]
    assert got["ingest"]["sizes"] == ["S", "M"]
    assert got["training"]["time"] == pytest.approx(0.0) and not got["training"]["superlinear"]


def test_write_merges_sizes_run_separately(tmp_path):
    out = str(tmp_path / "scale.json")
    report.write(out, {"S": _size(100, 1.0)})
    merged = report.write(out, {"M": _size(1000, 10.0)})
    assert sorted(merged["sizes"]) == ["M", "S"]
    assert merged["exponents"]["ingest"]["time"] == pytest.approx(1.0)
    assert sorted(json.loads((tmp_path / "scale.json").read_text())["sizes"]) == ["M", "S"]
    text = (tmp_path / "scale.md").read_text()
    assert "| ingest | 1.0 | 10.0 | 1.00 |" in text
    report.write(out, {"S": _size(100, 2.0)})  # a re-run replaces its own size only
    again = json.loads((tmp_path / "scale.json").read_text())
    assert again["sizes"]["S"]["stages"]["ingest"]["seconds"] == 2.0 and "M" in again["sizes"]


def test_stage_rows_map_components_and_trainer_substages():
    components = [{"name": "example_gen", "seconds": 3.0, "peak_rss": 5, "rss_at_start": 1,
                   "finished": True},
                  {"name": "trainer", "seconds": 9.0, "peak_rss": 7, "rss_at_start": 5,
                   "finished": True}]
    card = {"seconds_per_stage": {"fit": 1.0, "refit": 0.5, "pairs": 4.0, "export": 2.0}}
    rows = stages.stage_rows(components, card, {"example_gen": 11, "trainer": 22})
    assert rows["ingest"] == {"seconds": 3.0, "peak_rss": 5, "rss_growth": 4,
                              "artifact_bytes": 11, "components": ["example_gen"],
                              "finished": True}
    assert rows["closed-form fits"]["seconds"] == 1.5 and rows["training"]["seconds"] == 4.0
    assert rows["export"]["peak_rss"] == 7 and rows["trainer (total)"]["artifact_bytes"] == 22


def test_run_monitored_kills_a_tree_above_max_rss(tmp_path):
    code = ("import time; b = bytearray(256 << 20); b[::4096] = b'x' * len(b[::4096]); "
            "time.sleep(30)")
    done = monitor.run_monitored([sys.executable, "-c", code], str(tmp_path / "log"),
                                 interval=0.1, max_rss=128 << 20)
    assert done.killed_for_rss and done.returncode != 0 and done.seconds < 10
