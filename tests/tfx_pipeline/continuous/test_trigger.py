"""Tests of tfx_pipeline/continuous/trigger.py (fake pipeline runs) and `recsys trigger`."""

import json
import os

import pytest

from rec_model.data import canonical
from tests.tfx_pipeline.continuous.helpers import feedback, log_request
from tfx_pipeline.cli import main
from tfx_pipeline.continuous.run_lock import RunLock
from tfx_pipeline.continuous.state import STATE_FILE, TriggerState
from tfx_pipeline.continuous.trigger import ContinuousTrigger, TriggerPolicy


class FakeRuns:
    """run_pipeline stand-in: records calls, fails the first `fail` times."""

    def __init__(self, fail=0):
        self.calls, self.fail, self.span_rows = [], fail, []

    def __call__(self, data_dir, pipeline_root, span):
        self.calls.append(span)
        path = os.path.join(data_dir, f"interactions-span-{span}.csv")
        self.span_rows.append(len(list(canonical.iter_interactions(path)))
                              if os.path.exists(path) else 0)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("trainer crashed")


@pytest.fixture
def dirs(tmp_path):
    d = {k: tmp_path / k for k in ("feedback", "requests", "data", "root")}
    d["data"].mkdir()
    log_request(d["requests"], "r1", {"u1": ["i1", "i2", "i3"], "u2": ["i4", "i5", "i6"]})
    return d


def _trigger(dirs, runs, clock=lambda: 1_700_100_000.0, **policy):
    return ContinuousTrigger(dirs["feedback"], dirs["requests"], dirs["data"], dirs["root"],
                             TriggerPolicy(**policy), runs, clock)


def test_runs_when_new_interactions_pass_the_threshold(dirs):
    runs = FakeRuns()
    trigger = _trigger(dirs, runs, min_new_interactions=2)
    feedback(dirs["feedback"], "r1", "u1", "i1")
    below = trigger.once()
    assert not below["triggered"] and below["new_interactions"] == 1 and runs.calls == []
    assert not os.path.exists(dirs["root"] / STATE_FILE)
    feedback(dirs["feedback"], "r1", "u2", "i6")
    ran = trigger.once()
    assert (ran["triggered"] and ran["succeeded"] and ran["span"] == 1 and runs.calls == [1]
            and runs.span_rows == [2])
    state = TriggerState.load(str(dirs["root"] / STATE_FILE))
    assert (state.span == 1 and state.runs == 1 and state.last_run_time == 1_700_100_000.0
            and state.pending_span is None)
    quiet = trigger.once()
    assert not quiet["triggered"] and quiet["new_interactions"] == 0
    feedback(dirs["feedback"], "r1", "u1", "i2")
    feedback(dirs["feedback"], "r1", "u1", "i3")
    assert trigger.once()["span"] == 2 and runs.calls == [1, 2] and runs.span_rows[-1] == 2


def test_failed_run_is_retried_without_losing_feedback(dirs):
    runs = FakeRuns(fail=1)
    trigger = _trigger(dirs, runs, min_new_interactions=1)
    feedback(dirs["feedback"], "r1", "u1", "i1")
    failed = trigger.once()
    assert failed["succeeded"] is False and "trainer crashed" in failed["error"]
    state = TriggerState.load(str(dirs["root"] / STATE_FILE))
    assert state.feedback_offsets == {} and state.span == 0 and state.pending_span == 1
    assert state.consecutive_failures == 1
    feedback(dirs["feedback"], "r1", "u2", "i4")  # More feedback arrives before the retry.
    retried = trigger.once()
    # Same span, nothing lost.
    assert retried["succeeded"] and runs.calls == [1, 1] and runs.span_rows == [1, 2]
    assert feedback_files(dirs["data"]) == ["interactions-span-1.csv"]
    state = TriggerState.load(str(dirs["root"] / STATE_FILE))
    assert state.consecutive_failures == 0 and state.last_error == "" and state.span == 1


def feedback_files(data):
    return sorted(os.listdir(data))


def test_schedule_rule(dirs):
    now = [1_700_000_000.0]
    runs = FakeRuns()
    trigger = _trigger(dirs, runs, clock=lambda: now[0], min_new_interactions=None,
                       schedule_hours=24)
    first = trigger.once()
    assert (first["reasons"] == ["schedule: no run yet"] and first["span"] == 0
            and runs.calls == [0])
    now[0] += 23 * 3600
    assert not trigger.once()["triggered"]
    now[0] += 2 * 3600
    assert trigger.once()["triggered"] and len(runs.calls) == 2


def test_low_click_through_rate_rule(dirs):
    # 200 items
    log_request(dirs["requests"], "r2", {f"u{n}": [f"i{k}" for k in range(10)] for n in range(20)})
    feedback(dirs["feedback"], "r2", "u3", "i4")
    runs = FakeRuns()
    high = _trigger(dirs, runs, min_new_interactions=None, min_ctr=0.001).once()
    assert not high["triggered"] and high["served_items"] == 206 and high["clicks"] == 1
    low = _trigger(dirs, runs, min_new_interactions=None, min_ctr=0.01).once()
    assert low["triggered"] and low["reasons"][0].startswith("ctr 0.0049") and runs.calls == [1]
    few = _trigger(dirs, runs, min_new_interactions=None, min_ctr=0.5,
                   min_served_for_ctr=1000).once()
    assert not few["triggered"]


def test_one_run_at_a_time(dirs):
    runs = FakeRuns()
    feedback(dirs["feedback"], "r1", "u1", "i1")
    with RunLock(str(dirs["root"])) as held:
        assert held.acquire()
        busy = _trigger(dirs, runs, min_new_interactions=1).once()
    assert busy["busy"] and runs.calls == []
    assert _trigger(dirs, runs, min_new_interactions=1).once()["succeeded"]


def test_watch_loops_and_survives_errors(dirs):
    (dirs["root"]).mkdir()
    (dirs["root"] / STATE_FILE).write_text("{not json")
    seen, sleeps = [], []
    trigger = _trigger(dirs, FakeRuns(), min_new_interactions=1)
    assert trigger.watch(5, max_iterations=3, sleep=sleeps.append, on_result=seen.append) == 3
    assert sleeps == [5, 5] and all("unreadable trigger state" in r["error"] for r in seen)


def test_policy_validation():
    with pytest.raises(ValueError, match="every trigger rule is off"):
        TriggerPolicy(min_new_interactions=None)
    with pytest.raises(ValueError, match="min_ctr"):
        TriggerPolicy(min_ctr=2)


def test_cli_once_runs_local_runner_with_the_span(dirs, monkeypatch, capsys):
    import sys
    import types

    import tfx_pipeline

    calls = []
    local_runner = types.ModuleType("tfx_pipeline.local_runner")  # Stands in for the real runner.
    monkeypatch.setitem(sys.modules, "tfx_pipeline.local_runner", local_runner)
    monkeypatch.setattr(tfx_pipeline, "local_runner", local_runner, raising=False)
    local_runner.run = (lambda config, **kw: calls.append(
        (config.data_root, config.pipeline_root, kw["example_gen_config"].span,
         config.beam_pipeline_args, config.serving_dir, config.last_stage)))
    feedback(dirs["feedback"], "r1", "u1", "i1")
    args = ["trigger", "once", "--feedback-dir", str(dirs["feedback"]),
            "--request-log-dir", str(dirs["requests"]),
            "--data", str(dirs["data"]), "--pipeline-root", str(dirs["root"]),
            "--min-new-interactions", "1",
            "--serving-dir", str(dirs["root"] / "serving"), "--direct_num_workers=2"]
    assert main.main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["succeeded"] and calls == [
        (str(dirs["data"]), str(dirs["root"]), 1, ("--direct_num_workers=2",),
         str(dirs["root"] / "serving"), "push")]
    assert main.main(args) == 0 and len(calls) == 1  # Nothing new.


@pytest.mark.slow  # ~45 s: example_gen + transform on the small folder.
def test_real_run_reads_the_new_span(dirs):
    from tests.components.testdata import write_small_folder
    pytest.importorskip("tfx_pipeline.pipeline",
                        reason="the pipeline module does not import (work in progress?)")
    from tfx_pipeline import runs
    from tfx_pipeline.continuous.trigger import make_local_run_pipeline

    write_small_folder(str(dirs["data"]), bad_rows=())
    feedback(dirs["feedback"], "r1", "u1", "i2")
    feedback(dirs["feedback"], "r1", "u2", "i5")
    result = _trigger(dirs, make_local_run_pipeline(last_stage="transform"),
                      min_new_interactions=2).once()
    assert result["succeeded"], result
    shown = runs.MetadataReader(runs.connection_config(str(dirs["root"]))).show("latest")
    examples = next(a for c in shown["components"] for a in c["outputs"] if a["key"] == "examples")
    assert examples["properties"]["span"] == 1 and examples["properties"]["rows_read"] == 242
