"""Tests of tfx_pipeline/continuous/decision_log.py: every trigger decision is recorded."""

import os

from tests.tfx_pipeline.continuous.helpers import feedback, log_request
from tfx_pipeline.continuous import decision_log
from tfx_pipeline.continuous.run_lock import RunLock
from tfx_pipeline.continuous.trigger import ContinuousTrigger, TriggerPolicy


def test_each_check_is_appended_with_its_time_and_outcome(tmp_path):
    root, data = tmp_path / "root", tmp_path / "data"
    data.mkdir()
    log_request(tmp_path / "requests", "r1", {"u1": ["i1", "i2"]})
    ran = []
    now = [1_700_000_000.0]
    trigger = ContinuousTrigger(
        tmp_path / "feedback",
        tmp_path / "requests",
        data,
        root,
        TriggerPolicy(min_new_interactions=1),
        lambda d, r, s: ran.append(s),
        clock=lambda: now[0],
    )
    trigger.once()  # nothing due
    feedback(tmp_path / "feedback", "r1", "u1", "i1")
    now[0] += 60
    trigger.once()  # runs span 1
    lock = RunLock(str(root))
    assert lock.acquire()
    try:
        now[0] += 60
        trigger.once()  # busy: another trigger holds the lock
    finally:
        lock.release()
    decisions = decision_log.read_decisions(str(root))
    assert [(d["time"], d["triggered"], d["busy"], d["succeeded"]) for d in decisions] == [
        (1_700_000_000.0, False, False, None),
        (1_700_000_060.0, True, False, True),
        (1_700_000_120.0, False, True, None),
    ]
    assert decisions[1]["span"] == 1 and decisions[1]["reasons"] == ["new_interactions 1 >= 1"]
    assert ran == [1]
    assert decision_log.read_decisions(str(root), limit=1) == decisions[-1:]


def test_torn_line_is_skipped_and_missing_file_is_empty(tmp_path):
    assert decision_log.read_decisions(str(tmp_path)) == []
    decision_log.append_decision(str(tmp_path), {"triggered": False}, 1.0)
    with open(decision_log.decisions_path(str(tmp_path)), "a", encoding="utf-8") as f:
        f.write('{"triggered": tr')  # a crash mid-write
    assert decision_log.read_decisions(str(tmp_path)) == [{"triggered": False, "time": 1.0}]


def test_unwritable_log_never_stops_the_trigger(tmp_path, caplog):
    blocker = tmp_path / "continuous"
    blocker.write_text("a file where the folder should be")
    decision_log.append_decision(str(tmp_path), {"triggered": True}, 1.0)
    assert "could not record" in caplog.text and not os.path.isdir(blocker)
