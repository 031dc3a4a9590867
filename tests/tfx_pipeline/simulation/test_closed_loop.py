"""The closed loop end to end: `recsys simulate` as a user runs it, on a small world."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT


def _blessings(work):
    """The evaluator's reasons, oldest first, for the failure message."""
    found = sorted(work.glob("pipeline/evaluator/blessing/*/metrics.json"),
                   key=lambda path: int(path.parent.name))
    return [json.loads(path.read_text()).get("reason") for path in found]


@pytest.mark.slow
def test_simulate_pushes_every_round_and_ctr_rises(tmp_path):
    work = tmp_path / "simulate"
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "tfx_pipeline.cli.main", "simulate", "--rounds", "3",
         "--users", "300", "--work-dir", str(work)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    report = json.loads((work / "simulation.json").read_text())
    rounds = report["rounds"]
    assert len(rounds) == 3
    versions = [r["model_version"] for r in rounds]
    # Each retraining between rounds pushed a new version and the server swapped to it.
    assert versions == sorted(set(versions)), (
        f"a retraining pushed no model: {versions}; the evaluator said: {_blessings(work)}")
    assert all(r["retrain"]["succeeded"] for r in rounds[:-1]), rounds
    assert report["ctr"][-1] > report["ctr"][0], report["ctr"]
