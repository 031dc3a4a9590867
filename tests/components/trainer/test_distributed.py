"""Multi-worker training (MultiWorkerMirroredStrategy, RING) on local worker processes."""

import json
import math
import os
import subprocess
import sys

import pytest

from components.trainer import distributed
from components.trainer.canonical_inputs import inputs_from_canonical
from components.trainer.config import TrainerConfig
from components.trainer.train import WORK_DIR, train_and_export
from components.trainer.training_run import JOURNAL_DIR
from tests.components.trainer import helpers


def _journal(run_dir, name):
    with open(os.path.join(run_dir, WORK_DIR, "backup", JOURNAL_DIR, name), encoding="utf-8") as f:
        return f.read()


@pytest.mark.slow
def test_two_workers_end_identical_and_as_good_as_one(tmp_path):
    data, emb = helpers.synthetic_folder(str(tmp_path), n_users=150, n_items=80,
                                         n_interactions=4500)
    inputs = inputs_from_canonical(data, emb, eval_fraction=0.2)
    config = helpers.tiny_model_config(epochs=6, gate_epochs=2, batch_size=32)
    cards = {}
    for workers in (1, 2):
        run = str(tmp_path / f"run{workers}")
        cards[workers] = train_and_export(inputs, str(tmp_path / f"model{workers}"), run, config,
                                          TrainerConfig(workers=workers), keep_work_dir=True)
    digests = [json.loads(_journal(str(tmp_path / "run2"), f"weights-{i}.json"))["digest"]
               for i in (0, 1)]
    assert digests[0] == digests[1]
    two = cards[2]
    assert two["training"]["workers"] == 2 and two["training"]["communication"] == "RING"
    assert two["sparse_gradients"]["replicas"] == 2
    # IndexedSlices through the all-reduce:
    assert "user_embeddings:0" in two["sparse_gradients"]["sparse_after_allreduce"]
    r1, r2 = (cards[w]["metrics"]["eval"]["model_recall@10"] for w in (1, 2))
    users = cards[1]["metrics"]["eval"]["model_users"]
    noise = 3 * math.sqrt(max(r1 * (1 - r1), 0.01) / users)
    assert abs(r1 - r2) <= max(noise, 0.05), (r1, r2, noise)
    assert os.path.isdir(tmp_path / "model2" / "Format-Serving")
    print("seconds 1 worker", cards[1]["training"]["seconds_total"],
          "2 workers", two["training"]["seconds_total"])


@pytest.mark.slow
def test_killed_worker_resumes_from_last_checkpoint(tmp_path):
    data, emb = helpers.synthetic_folder(str(tmp_path))
    inputs = inputs_from_canonical(data, emb, eval_fraction=0.2)
    run = str(tmp_path / "run")
    fault = {"worker": 1, "stage": "pairs", "epoch": 2, "batch": 1,
             "marker": str(tmp_path / "killed")}
    card = train_and_export(inputs, str(tmp_path / "model"), run,
                            helpers.tiny_model_config(epochs=4),
                            TrainerConfig(workers=2, max_restarts=1), fault=fault,
                            keep_work_dir=True)
    assert os.path.exists(fault["marker"]) and card["training"]["restarts"] == 1
    journal = _journal(run, "worker-1.txt").splitlines()
    epochs = [int(line.split()[1]) for line in journal if line.startswith("pairs ")]
    assert epochs == [0, 1, 2, 2, 3]  # killed in epoch 2, restarted at 2 (0-1 restored)
    logs = os.listdir(os.path.join(run, "worker_logs"))
    assert "worker-1-attempt-1.log" in logs
    assert os.path.isdir(tmp_path / "model" / "Format-Serving")

    # Quality within noise of the same training left alone.
    clean = train_and_export(inputs, str(tmp_path / "clean_model"), str(tmp_path / "clean_run"),
                             helpers.tiny_model_config(epochs=4), TrainerConfig(workers=2))
    r_killed, r_clean = (c["metrics"]["eval"]["model_recall@10"] for c in (card, clean))
    users = clean["metrics"]["eval"]["model_users"]
    noise = 3 * math.sqrt(max(r_clean * (1 - r_clean), 0.01) / users)
    assert abs(r_killed - r_clean) <= max(noise, 0.05), (r_killed, r_clean, noise)


_HISTORY_STORE = """
from components.trainer.worker import make_strategy
strategy = make_strategy()  # before any other TensorFlow op, as worker.py does
from rec_model.users import HistoryStore
with strategy.scope():
    HistoryStore(3)
"""


def _two_workers(script):
    """Exit codes of `script` run by two local workers under MultiWorkerMirroredStrategy."""
    addresses = distributed.local_cluster(2)
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": str(distributed._REPO_ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", script],
                                  env={**env, "TF_CONFIG": distributed.tf_config(addresses, i)},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i in range(2)]
    try:
        return [p.wait(timeout=240) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.slow
def test_variables_can_be_built_under_the_multi_worker_strategy():
    script = _HISTORY_STORE.replace("HistoryStore(3)",
                                    "import tensorflow as tf; tf.Variable([1.0])")
    assert _two_workers(script) == [0, 0]  # the harness below works


@pytest.mark.slow
def test_a_history_store_can_be_built_under_the_multi_worker_strategy():
    assert _two_workers(_HISTORY_STORE) == [0, 0]
