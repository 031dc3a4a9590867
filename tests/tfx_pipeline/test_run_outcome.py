"""The final line of a pipeline run and the message of a failed one."""

import os

from tfx_pipeline.run_outcome import ERROR_FILE, failure_message, push_outcome

BLESSED = {"component": "evaluator", "blessed": True, "message": "blessed: candidate ndcg@10 0.3"}


def _run(pushes, state="COMPLETE"):
    return {"pushes": pushes, "blessings": [BLESSED],
            "components": [{"node_id": "pusher", "state": state}]}


def test_pushed_model_names_its_version_folder():
    run = _run([{"component": "pusher", "pushed": True, "destination": "/srv/recsys/17"}])
    assert push_outcome(run, "/srv", "push") == "model pushed: /srv/recsys/17"
    cached = _run([{"component": "pusher", "pushed": True, "destination": "/srv/recsys/17"}],
                  state="CACHED")
    assert push_outcome(cached, "/srv", "push").startswith(
        "model pushed: /srv/recsys/17 (unchanged")


def test_not_pushed_gives_the_blessing_reason():
    run = _run([{"component": "pusher", "pushed": False,
                 "message": "not pushed: model_blessing is not blessed (u): NOT blessed: ..."}])
    assert push_outcome(run, "/srv", "push") == (
        "no model pushed: model_blessing is not blessed (u): NOT blessed: ...")


def test_no_serving_dir_or_early_stop_says_so_with_the_evaluator_verdict():
    run = _run([])
    assert push_outcome(run, "", "evaluate") == (
        "no model pushed: no --serving-dir given; evaluator blessed: candidate ndcg@10 0.3")
    assert push_outcome(run, "/srv", "train").startswith(
        "no model pushed: the run stopped after train (--until)")
    assert push_outcome(None, "/srv", "push").startswith("no model pushed: the pusher did not run")


def test_failure_message_is_plain_and_keeps_the_traceback(tmp_path):
    try:
        raise ValueError("first line\nthe trainer ran out of users")
    except ValueError as err:
        text = failure_message("recsys", "trainer", 12.34, err, str(tmp_path))
    lines = text.splitlines()
    assert lines[0] == ("pipeline recsys FAILED in trainer after 12.3s: ValueError: "
                        "the trainer ran out of users")
    assert lines[-1] == "no model pushed: trainer failed"
    assert "Traceback" in open(os.path.join(tmp_path, ERROR_FILE)).read()
