"""Tests of serving/feedback_log.py: append-only, rotated, torn-line-safe feedback logs."""

import json
import os

import pytest

from serving import feedback_log as fl
from serving import jsonl_log


def _payload(n=0, **kw):
    return {"request_id": f"r{n}", "user_id": f"u{n}", "item_id": f"i{n}", **kw}


def test_record_feedback_validates_and_defaults(tmp_path):
    with fl.FeedbackLog(tmp_path) as log:
        answer = fl.record_feedback(log, _payload(1), now=1_700_000_000.0)
    assert answer["status"] == "ok"
    assert answer["record"] == {"request_id": "r1", "user_id": "u1", "item_id": "i1",
                                "event": "click", "value": 1.0, "time": 1_700_000_000.0}
    assert list(fl.read_feedback(tmp_path)) == [answer["record"]]


@pytest.mark.parametrize("bad, word", [
    ({"user_id": "u", "item_id": "i"}, "request_id"),
    (_payload(event="like"), "event"),
    (_payload(value="x"), "value"),
    (_payload(value=float("nan")), "value"),
    (_payload(time=-5), "time"),
    (_payload(user_id="a\nb"), "user_id"),
    (_payload(item_id="x" * 300), "item_id"),
    (_payload(extra=1), "unknown"),
    (["not", "a", "dict"], "JSON object"),
])
def test_invalid_payloads_are_rejected_and_not_written(tmp_path, bad, word):
    with fl.FeedbackLog(tmp_path) as log:
        with pytest.raises(fl.FeedbackError, match=word):
            fl.record_feedback(log, bad)
    assert list(fl.read_feedback(tmp_path)) == []


def test_rotates_by_size_and_keeps_every_record(tmp_path):
    with fl.FeedbackLog(tmp_path, max_bytes=1024, fsync="never") as log:
        for n in range(60):
            fl.record_feedback(log, _payload(n), now=1.0)
    files = fl.log_files(tmp_path)
    assert len(files) > 3
    assert all(f.stat().st_size < 1024 + 200 for f in files)
    assert [r["request_id"] for r in fl.read_feedback(tmp_path)] == [f"r{n}" for n in range(60)]


def test_survives_restart_and_appends_after_old_records(tmp_path):
    with fl.FeedbackLog(tmp_path) as log:
        fl.record_feedback(log, _payload(1))
    with fl.FeedbackLog(tmp_path) as log:
        fl.record_feedback(log, _payload(2))
    assert [r["request_id"] for r in fl.read_feedback(tmp_path)] == ["r1", "r2"]


def test_torn_last_line_is_never_read_and_offsets_stop_before_it(tmp_path):
    with fl.FeedbackLog(tmp_path) as log:
        fl.record_feedback(log, _payload(1))
        path = log.path
    with open(path, "ab") as f:  # A crash in the middle of a write.
        f.write(b'{"request_id": "r2", "user_id": "u')
    records, offsets, corrupt = fl.read_new_records(tmp_path, {})
    assert [r["request_id"] for r in records] == ["r1"] and corrupt == 0
    assert offsets[path.name] < path.stat().st_size
    # The next writer terminates the torn line; it is then skipped as one corrupt line.
    with fl.FeedbackLog(tmp_path) as log:
        fl.record_feedback(log, _payload(3))
    more, offsets2, corrupt = fl.read_new_records(tmp_path, offsets)
    assert [r["request_id"] for r in more] == ["r3"] and corrupt == 1
    assert offsets2[path.name] == path.stat().st_size
    again, _, _ = fl.read_new_records(tmp_path, offsets2)
    assert again == []


def test_a_torn_line_in_a_full_file_is_ended_before_the_next_file_starts(tmp_path):
    with fl.FeedbackLog(tmp_path, max_bytes=1024) as log:
        path = log.path
    with open(path, "ab") as f:  # The crash tore a record that filled the file.
        f.write(b'{"request_id": "r0", "user_id": "' + b"u" * 1100)
    with fl.FeedbackLog(tmp_path, max_bytes=1024) as log:
        fl.record_feedback(log, _payload(1))
        assert log.path != path
    assert path.read_bytes().endswith(b"\n")
    records, _, corrupt = fl.read_new_records(tmp_path, {})
    assert [r["request_id"] for r in records] == ["r1"] and corrupt == 1


def test_each_record_is_one_write_on_an_append_fd(tmp_path, monkeypatch):
    writes = []
    real_write = os.write
    monkeypatch.setattr(jsonl_log.os, "write",
                        lambda fd, data: writes.append(data) or real_write(fd, data))
    with fl.FeedbackLog(tmp_path) as log:
        fl.record_feedback(log, _payload(1))
        fl.record_feedback(log, _payload(2))
        assert os.O_APPEND & __import__("fcntl").fcntl(log._fd, __import__("fcntl").F_GETFL)
    assert len(writes) == 2 and all(w.endswith(b"\n") and w.count(b"\n") == 1 for w in writes)
    assert json.loads(writes[1])["request_id"] == "r2"


def test_bad_configuration_says_how_to_fix(tmp_path):
    with pytest.raises(ValueError, match="fsync"):
        fl.FeedbackLog(tmp_path, fsync="sometimes")
    with pytest.raises(ValueError, match="max_bytes"):
        fl.FeedbackLog(tmp_path, max_bytes=10)


def test_feedback_cli_appends_a_record(tmp_path, capsys):
    from tfx_pipeline.cli import main

    rc = main.main(["feedback", "--feedback-dir", str(tmp_path), "--request-id", "r9",
                    "--user", "u9", "--item", "i9", "--event", "rating", "--value", "4"])
    assert rc == 0
    (record,) = list(fl.read_feedback(tmp_path))
    assert record["event"] == "rating" and record["value"] == 4.0 and record["request_id"] == "r9"
    rc = main.main(["feedback", "--feedback-dir", str(tmp_path), "--request-id", "",
                    "--user", "u", "--item", "i"])
    assert rc == 2 and "request_id" in capsys.readouterr().err
