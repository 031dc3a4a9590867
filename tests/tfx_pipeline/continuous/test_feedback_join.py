"""Tests of tfx_pipeline/continuous/feedback_join.py."""

import json
import os

from rec_model.data import canonical
from tests.tfx_pipeline.continuous.helpers import feedback, log_request
from tfx_pipeline.continuous import feedback_join


def _logs(tmp_path):
    req, fb = tmp_path / "requests", tmp_path / "feedback"
    log_request(req, "r1", {"u1": ["i1", "i2", "i3"], "u2": ["i4", "i5"]})
    feedback(fb, "r1", "u1", "i2")                       # matched click
    feedback(fb, "r1", "u1", "i2")                       # duplicate: once
    feedback(fb, "r1", "u2", "i5", "rating", 4)          # matched rating
    feedback(fb, "r1", "u1", "i9")                       # item not served -> unmatched
    feedback(fb, "nope", "u1", "i1")                     # unknown request -> unmatched
    feedback(fb, "r1", "u1", "i1", "dismiss")            # not an interaction
    feedback(fb, "r1", "u1", "i3", "click", 0)           # no click
    return fb, req


def test_join_counts_and_offsets(tmp_path):
    fb, req = _logs(tmp_path)
    batch = feedback_join.collect(fb, req, {}, {})
    assert batch.interactions == [("u1", "i2", 1_700_000_100, None),
                                  ("u2", "i5", 1_700_000_100, 4.0)]
    assert [(r["request_id"], r["item_id"]) for r in batch.unmatched] == [
        ("r1", "i9"), ("nope", "i1")]
    assert batch.served_items == 5 and batch.clicks == 3 and batch.ctr == 3 / 5
    again = feedback_join.collect(fb, req, batch.feedback_offsets, batch.request_offsets)
    assert (again.interactions == [] and again.unmatched == [] and again.served_items == 0
            and again.ctr is None)


def test_feedback_joins_requests_consumed_by_an_earlier_run(tmp_path):
    fb, req = _logs(tmp_path)
    first = feedback_join.collect(fb, req, {}, {})
    feedback(fb, "r1", "u1", "i3")  # A late click on an old request.
    late = feedback_join.collect(fb, req, first.feedback_offsets, first.request_offsets)
    assert late.interactions == [("u1", "i3", 1_700_000_100, None)] and late.served_items == 0


def test_span_file_is_canonical_and_unmatched_are_kept(tmp_path):
    fb, req = _logs(tmp_path)
    batch = feedback_join.collect(fb, req, {}, {})
    data, quarantine = tmp_path / "data", tmp_path / "q"
    data.mkdir()
    path = feedback_join.write_span(str(data), 3, batch, str(quarantine))
    assert os.path.basename(path) == "interactions-span-3.csv"
    rows = list(canonical.iter_interactions(path))
    assert rows == [canonical.Interaction("u1", "i2", 1_700_000_100, None),
                    canonical.Interaction("u2", "i5", 1_700_000_100, 4.0)]
    with open(quarantine / "unmatched-feedback-span-3.jsonl", encoding="utf-8") as f:
        assert [json.loads(line)["item_id"] for line in f] == ["i9", "i1"]
    assert feedback_join.existing_spans(str(data)) == [3]
    # No temporary file left behind.
    assert sorted(os.listdir(data)) == ["interactions-span-3.csv"]
