"""bench.scale.batch: rounds of batch-score against the plain loop, and their median."""

import json

from bench.scale import batch


def _fake_run(ratios):
    calls = []

    def run(saved_model, data_dir, work, log_path, env, n_users, *args, **kwargs):
        ratio = ratios[len(calls)]
        calls.append((saved_model, data_dir, work, n_users))
        if ratio is None:
            return {"ok": False}
        return {"ok": True, "ratio_vs_loop": ratio}

    return run, calls


def test_rounds_take_the_median_of_per_round_ratios(monkeypatch, tmp_path):
    run, calls = _fake_run([0.9, 1.2, 1.1])
    monkeypatch.setattr(batch, "run", run)
    result = batch.rounds("model", "data", str(tmp_path), 500, 3)
    assert result["ratios"] == [0.9, 1.2, 1.1]
    assert result["median_ratio_vs_loop"] == 1.1
    assert result["ok"]
    assert len({c[2] for c in calls}) == 3  # each round in its own folder
    assert all(c[3] == 500 for c in calls)


def test_a_failed_round_gives_no_figure_and_a_failing_exit(monkeypatch, tmp_path):
    run, _ = _fake_run([1.1, None])
    monkeypatch.setattr(batch, "run", run)
    out = tmp_path / "r.json"
    code = batch.main(["--model", "m", "--data", "d", "--rounds", "2", "--work", str(tmp_path),
                       "--out", str(out)])
    assert code == 1
    saved = json.loads(out.read_text())
    assert saved["ok"] is False and saved["median_ratio_vs_loop"] is None
