"""End-to-end tests of batch scoring on Beam's DirectRunner (in-process) with the stand-in model."""

import json
import os

import pytest

from components.batch_scorer.config import BatchScoreConfig
from components.batch_scorer.scoring_job import run_batch_scoring
from tests.components.batch_scorer.conftest import write_examples
from tfx_pipeline.cli import main


def _rows(path):
    with open(path, encoding="utf-8") as f:
        return {r["user_id"]: r for r in map(json.loads, f)}


def _seen(data_dir):
    from rec_model.data import canonical

    seen = {}
    for r in canonical.iter_interactions(os.path.join(data_dir, "interactions.csv")):
        seen.setdefault(r.user_id, set()).add(r.item_id)
    return seen


def test_users_file_scores_excludes_seen_and_reports_bad_ids(standin_base, data_dir, tmp_path):
    users = tmp_path / "users.txt"
    users.write_bytes(b"user_id\nu1\nu2\nu1\n\nnewcomer\n\xff\xfe\n" + b"x" * 300 + b"\n")
    out = str(tmp_path / "recs.jsonl")
    summary = run_batch_scoring(standin_base, str(users), out, BatchScoreConfig(k=7), seen_from=data_dir)
    assert summary["model"].endswith("/2")
    assert summary["users_scored"] == 3 and summary["bad_user_ids"] == 3  # u1 once; empty, undecodable, long.
    rows = _rows(out)
    assert set(rows) == {"u1", "u2", "newcomer"}
    seen = _seen(data_dir)
    for user, row in rows.items():
        assert len(row["item_ids"]) == 7 and len(row["scores"]) == 7
        assert not set(row["item_ids"]) & seen.get(user, set())
        assert set(row["agent_scores"]) == {"collaborative", "popularity"}
    with open(summary["errors"], encoding="utf-8") as f:
        errors = sorted(json.loads(line)["line"] for line in f)
    assert errors == [5, 7, 8]


def test_all_users_from_data_without_exclusion(standin_base, data_dir, tmp_path):
    out = str(tmp_path / "all.jsonl")
    summary = run_batch_scoring(os.path.join(standin_base, "1"), "all", out,
                                BatchScoreConfig(k=3, exclude_seen=False, include_agent_scores=False),
                                seen_from=data_dir)
    rows = _rows(out)
    assert summary["users_scored"] == 12 and set(rows) == {f"u{i}" for i in range(12)}
    assert "agent_scores" not in rows["u0"]
    assert any(set(r["item_ids"]) & {f"i{i}" for i in range(20)} for r in rows.values())  # Seen items allowed.


def test_all_users_from_model_vocabulary_and_examples_as_seen_source(standin_base, tmp_path):
    import shutil

    saved = tmp_path / "model"
    shutil.copytree(os.path.join(standin_base, "1"), saved)
    (saved / "assets.extra").mkdir(exist_ok=True)
    (saved / "assets.extra" / "user_ids.txt").write_text("u1\nu2\n")
    examples = write_examples(tmp_path / "examples", {"train": [("u1", "i0"), ("u1", "i1")], "eval": [("u1", "i2")]})
    out = str(tmp_path / "recs.jsonl")
    summary = run_batch_scoring(str(saved), "all", out, BatchScoreConfig(k=50), seen_from=examples)
    rows = _rows(out)
    assert summary["users_scored"] == 2
    assert set(rows["u1"]["item_ids"]) == {f"i{i}" for i in range(2, 50)}  # Train items gone, eval kept.
    assert len(rows["u2"]["item_ids"]) == 50


def test_missing_inputs_fail_fast_with_a_fix(standin_base, tmp_path):
    with pytest.raises(ValueError, match="--seen-from"):
        run_batch_scoring(standin_base, "all", str(tmp_path / "o.jsonl"), BatchScoreConfig())
    with pytest.raises(ValueError, match="--users FILE"):
        run_batch_scoring(standin_base, "all", str(tmp_path / "o.jsonl"), BatchScoreConfig(exclude_seen=False))
    with pytest.raises(FileNotFoundError):
        run_batch_scoring(str(tmp_path), "all", str(tmp_path / "o.jsonl"), BatchScoreConfig(exclude_seen=False))


def test_cli_passes_beam_flags_through(standin_base, data_dir, tmp_path, capsys):
    users = tmp_path / "u.txt"
    users.write_text("u3\n")
    out = str(tmp_path / "cli.jsonl")
    rc = main.main(["batch-score", "--model", standin_base, "--users", str(users), "--k", "2", "--out", out,
                    "--seen-from", data_dir, "--beam-runner", "DirectRunner", "--direct_num_workers=1"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["users_scored"] == 1
    assert list(_rows(out)) == ["u3"]
    assert main.main(["batch-score", "--model", str(tmp_path), "--users", "all", "--out", out]) == 2
