"""End-to-end tests of batch scoring on Beam's local runner with the stand-in model."""

import json
import os
import shutil

import pytest

from components.batch_scorer import plain_loop, scoring_job
from components.batch_scorer.config import BatchScoreConfig
from components.batch_scorer.scoring_job import run_batch_scoring
from rec_model import features as F
from tests.components.batch_scorer.conftest import write_examples
from tfx_pipeline.cli import main

TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def _rows(path):
    with open(path, encoding="utf-8") as f:
        return {r["user_id"]: r for r in map(json.loads, f)}


def _seen(data_dir):
    from rec_model.data import canonical

    seen = {}
    for r in canonical.iter_interactions(os.path.join(data_dir, "interactions.csv")):
        seen.setdefault(r.user_id, set()).add(r.item_id)
    return seen


def _users_file(tmp_path, ids):
    path = tmp_path / "users.txt"
    path.write_text("".join(f"{u}\n" for u in ids))
    return str(path)


def _assert_same_recommendations(got, want):
    """Same users, items and order; numbers to 1e-5: float32 matmuls round differently for
    different batch shapes, and the two paths group users into calls differently."""
    assert set(got) == set(want)
    for user, row in want.items():
        assert got[user]["item_ids"] == row["item_ids"], user
        assert got[user]["scores"] == pytest.approx(row["scores"], abs=1e-5)
        for agent, values in row["agent_scores"].items():
            assert got[user]["agent_scores"][agent] == pytest.approx(values, abs=1e-5)


def test_users_file_scores_excludes_seen_and_reports_bad_ids(standin_base, data_dir, tmp_path):
    users = tmp_path / "users.txt"
    users.write_bytes(b"user_id\nu1\nu2\nu1\n\nnewcomer\n\xff\xfe\n" + b"x" * 300 + b"\n")
    out = str(tmp_path / "recs.jsonl")
    summary = run_batch_scoring(standin_base, str(users), out, BatchScoreConfig(k=7),
                                seen_from=data_dir)
    assert summary["model"].endswith("/2")
    # u1 once; the empty, undecodable and too long ids are bad.
    assert summary["users_scored"] == 3 and summary["bad_user_ids"] == 3
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
    config = BatchScoreConfig(k=3, exclude_seen=False, include_agent_scores=False)
    summary = run_batch_scoring(os.path.join(standin_base, "1"), "all", out, config,
                                seen_from=data_dir)
    rows = _rows(out)
    assert summary["users_scored"] == 12 and set(rows) == {f"u{i}" for i in range(12)}
    assert "agent_scores" not in rows["u0"]
    seen_items = {f"i{i}" for i in range(20)}
    assert any(set(r["item_ids"]) & seen_items for r in rows.values())  # Seen items allowed.


def test_all_users_from_model_vocabulary_and_examples_as_seen_source(standin_base, tmp_path):
    saved = tmp_path / "model"
    shutil.copytree(os.path.join(standin_base, "1"), saved)
    (saved / "assets.extra").mkdir(exist_ok=True)
    # A vocabulary has no header: "user_id" is a user; blank lines are not errors.
    (saved / "assets.extra" / "user_ids.txt").write_text("user_id\nu1\n\nu2\n")
    examples = write_examples(tmp_path / "examples",
                              {"train": [("u1", "i0"), ("u1", "i1")], "eval": [("u1", "i2")]})
    out = str(tmp_path / "recs.jsonl")
    summary = run_batch_scoring(str(saved), "all", out, BatchScoreConfig(k=50), seen_from=examples)
    rows = _rows(out)
    assert summary["users_scored"] == 3 and summary["bad_user_ids"] == 0
    # Train items gone, eval items kept.
    assert set(rows["u1"]["item_ids"]) == {f"i{i}" for i in range(2, 50)}
    assert len(rows["u2"]["item_ids"]) == 50 and len(rows["user_id"]["item_ids"]) == 50


def test_missing_inputs_fail_fast_with_a_fix(standin_base, tmp_path):
    out = str(tmp_path / "o.jsonl")
    with pytest.raises(ValueError, match="--seen-from"):
        run_batch_scoring(standin_base, "all", out, BatchScoreConfig())
    with pytest.raises(ValueError, match="--users FILE"):
        run_batch_scoring(standin_base, "all", out, BatchScoreConfig(exclude_seen=False))
    with pytest.raises(FileNotFoundError):
        run_batch_scoring(str(tmp_path), "all", out, BatchScoreConfig(exclude_seen=False))


def test_cli_passes_beam_flags_through(standin_base, data_dir, tmp_path, capsys, caplog):
    users = tmp_path / "u.txt"
    users.write_text("u3\n")
    out = str(tmp_path / "cli.jsonl")
    rc = main.main(["batch-score", "--model", standin_base, "--users", str(users), "--k", "2",
                    "--out", out, "--seen-from", data_dir, "--beam-runner", "DirectRunner",
                    *TWO_PROCESSES, "--batch-size", "5"])
    assert rc == 0
    assert "semi_persistent_directory" not in caplog.text  # log_filters.KNOWN_NOISE
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["users_scored"] == 1
    assert list(_rows(out)) == ["u3"]
    missing_model = ["batch-score", "--model", str(tmp_path), "--users", "all", "--out", out]
    assert main.main(missing_model) == 2


@pytest.mark.parametrize("users", ["file", "all"])
def test_beam_output_equals_the_plain_loop(standin_base, data_dir, tmp_path, users):
    # Known users with seen items, known users without, users unknown to the model, a duplicate.
    ids = [f"u{i}" for i in range(20)] + ["stranger", "u3", "ユーザー"]
    users_file = _users_file(tmp_path, ids) if users == "file" else None
    config = BatchScoreConfig(k=6, max_batch_size=4, max_exclude_cells=30)
    model = os.path.join(standin_base, "2")
    beam_out, loop_out = str(tmp_path / "beam.jsonl"), str(tmp_path / "loop.jsonl")
    summary = run_batch_scoring(model, users_file or "all", beam_out, config, seen_from=data_dir)
    expected = plain_loop.score_users(model, loop_out, config, users_file, seen_from=data_dir)
    assert summary["users_scored"] == expected["users_scored"] == (22 if users == "file" else 12)
    _assert_same_recommendations(_rows(beam_out), _rows(loop_out))


@pytest.mark.slow
def test_two_worker_processes_give_the_same_output(standin_base, data_dir, tmp_path, capfd,
                                                   caplog):
    users_file = _users_file(tmp_path, [f"u{i}" for i in range(20)] + ["stranger"])
    config = BatchScoreConfig(k=4, max_batch_size=3)
    out, loop_out = str(tmp_path / "two.jsonl"), str(tmp_path / "loop.jsonl")
    run_batch_scoring(standin_base, users_file, out, config, seen_from=data_dir,
                      beam_args=TWO_PROCESSES)
    # The workers' own start-up writes to the inherited stderr; their logs reach ours.
    workers_stderr = capfd.readouterr().err
    assert "cudart_stub" not in workers_stderr and "cuInit" not in workers_stderr
    assert "Resource module is not available" not in caplog.text
    plain_loop.score_users(os.path.join(standin_base, "2"), loop_out, config, users_file,
                           seen_from=data_dir)
    _assert_same_recommendations(_rows(out), _rows(loop_out))


@pytest.mark.parametrize("content", [b"", b"user_id\n", b"\n\xff\n"])
def test_no_good_users_writes_empty_output(standin_base, data_dir, tmp_path, content):
    users = tmp_path / "users.txt"
    users.write_bytes(content)
    out = tmp_path / "recs.jsonl"
    summary = run_batch_scoring(standin_base, str(users), str(out), BatchScoreConfig(),
                                seen_from=data_dir)
    assert summary["users_scored"] == 0 and out.read_text() == ""
    assert summary["bad_user_ids"] == content.count(b"\n") - content.startswith(b"user_id")
    assert not [p for p in os.listdir(tmp_path) if ".parts-" in p]  # Part folders cleaned up.


def test_signature_choice_and_local_worker_threads():
    from apache_beam.options.pipeline_options import PipelineOptions

    recommend, include_seen = F.SIGNATURE_RECOMMEND, F.SIGNATURE_RECOMMEND_INCLUDE_SEEN
    assert scoring_job.scoring_signature([recommend], exclude_seen=False) == recommend
    assert scoring_job.scoring_signature([recommend, include_seen], False) == include_seen
    assert scoring_job.scoring_signature([recommend, include_seen], True) == recommend
    two = PipelineOptions(TWO_PROCESSES)
    assert scoring_job.worker_threads(two) == max(1, (os.cpu_count() or 1) // 2)
    assert scoring_job.worker_threads(PipelineOptions([])) is None
    assert scoring_job.worker_threads(PipelineOptions(["--runner=DataflowRunner"])) is None


def test_seen_pairs_are_filtered_by_a_small_users_file_only(data_dir, tmp_path, monkeypatch):
    users = _users_file(tmp_path, ["u1", "u2"])
    size = os.path.getsize(users)
    units = scoring_job.seen_units(data_dir, None)
    assert scoring_job.wanted_users_file(users, size, False, units) == users
    assert scoring_job.wanted_users_file(users, size, True, units) is None  # vocabulary
    assert scoring_job.wanted_users_file(users, size, False, None) is None  # no seen items
    assert scoring_job.wanted_users_file(None, 0, False, units) is None
    monkeypatch.setattr(scoring_job, "WANTED_FILTER_MAX_BYTES", size - 1)
    assert scoring_job.wanted_users_file(users, size, False, units) is None
