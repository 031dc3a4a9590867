"""Kill the pipeline process in the middle of the trainer, then re-run (issue 7)."""

import os
import signal
import subprocess
import sys
import time

import pytest

PIPELINE_TIMEOUT = 900


def _start(data, root, serving, log_path):
    command = [sys.executable, "-m", "tfx_pipeline.cli.main", "pipeline", "run", "--data", data,
               "--pipeline-root", root, "--serving-dir", serving, "--pretrain", "off",
               "--epochs", "40"]
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", PYTHONUNBUFFERED="1")
    log = open(log_path, "w")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True), log


def _wait_for_line(path, needle, process, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path) as f:
            if needle in f.read():
                return
        if process.poll() is not None:
            raise AssertionError(f"pipeline exited ({process.returncode}) before {needle!r}:\n"
                                 f"{open(path).read()[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"no {needle!r} within {timeout}s")


@pytest.mark.slow
def test_killed_mid_trainer_rerun_reuses_cache_and_pushes_a_valid_model(tmp_path):
    import ml_metadata as mlmd
    from ml_metadata.proto import metadata_store_pb2 as pb
    from tfx.orchestration import metadata

    from rec_model.data import synth

    data, root, serving = str(tmp_path / "data"), str(tmp_path / "root"), str(tmp_path / "serving")
    synth.generate_synthetic(data, n_users=150, n_items=120, n_interactions=6000, n_topics=6,
                             seed=3)

    first, log = _start(data, root, serving, str(tmp_path / "first.log"))
    try:
        _wait_for_line(str(tmp_path / "first.log"), "> trainer", first, PIPELINE_TIMEOUT)
        time.sleep(8)  # well inside training
        assert first.poll() is None, "the trainer finished before it could be killed"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=60)
    finally:
        log.close()
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert not os.path.exists(os.path.join(serving, "recsys")) or not [
        v for v in os.listdir(os.path.join(serving, "recsys")) if v.isdigit()], (
        "nothing may be pushed by the killed run")

    store = mlmd.MetadataStore(
        metadata.sqlite_metadata_connection_config(os.path.join(root, "metadata.sqlite")))
    before = {e.id for e in store.get_executions()}
    killed_models = {a.id for a in store.get_artifacts_by_type("Model")}

    second, log = _start(data, root, serving, str(tmp_path / "second.log"))
    try:
        assert second.wait(timeout=PIPELINE_TIMEOUT) == 0, (
            open(str(tmp_path / "second.log")).read()[-3000:])
    finally:
        log.close()

    new = [e for e in store.get_executions() if e.id not in before]
    types = {t.id: t.name for t in store.get_execution_types()}
    state = {types[e.type_id].rsplit(".", 1)[-1]: e.last_known_state for e in new}
    for upstream in ("CanonicalExampleGen", "RecsysTransform", "ItemTextEmbedder"):
        assert state[upstream] == pb.Execution.CACHED, (upstream, state)
    assert state["RecsysTrainer"] == pb.Execution.COMPLETE
    assert state["RecsysPusher"] == pb.Execution.COMPLETE

    # The evaluator consumed the re-run's published model, never the killed run's pending one.
    [evaluator] = [e for e in new if types[e.type_id].endswith("RecsysEvaluator")]
    consumed = [ev.artifact_id for ev in store.get_events_by_execution_ids([evaluator.id])
                if ev.type == pb.Event.INPUT]
    models = [a for a in store.get_artifacts_by_id(consumed)
              if a.type_id == store.get_artifact_type("Model").id]
    assert models and all(a.state == pb.Artifact.LIVE and a.id not in killed_models
                          for a in models)

    versions = sorted(v for v in os.listdir(os.path.join(serving, "recsys")) if v.isdigit())
    assert len(versions) == 1
    import tensorflow as tf

    loaded = tf.saved_model.load(os.path.join(serving, "recsys", versions[0]))
    out = loaded.signatures["recommend"](user_id=tf.constant(["u1"]), k=tf.constant(5),
                                         history=tf.constant([[""]]),
                                         exclude=tf.constant([[""]]))
    assert out["item_ids"].shape == (1, 5)
