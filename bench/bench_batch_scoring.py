"""Batch scoring throughput: Beam RunInference vs a plain in-process loop over the same SavedModel.

A MovieLens-scale stand-in SavedModel (serving/testing.py; 1,682 items, 64-d) with `--users`
known users; every user is scored with k=10, excluding the items of a synthetic seen-items
file (`--seen-per-user` per user). Measured in one run, same model, same users, same output:
- baseline: a plain Python loop in this process: read users and seen items, call `recommend`
  on batches of 256, write JSON lines (model load included);
- beam_in_process: `run_batch_scoring` on Beam's DirectRunner (in-process FnApiRunner);
- beam_multi_process: the same with `--direct_num_workers=2 --direct_running_mode=multi_processing`.
Reports users/second (wall time from start to output closed) and the ratio to the baseline.

    python bench/bench_batch_scoring.py --users 20000
    -> bench/results/batch_scoring.json
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
N_ITEMS, DIM, K, BATCH = 1682, 64, 10, 256


def write_inputs(folder: pathlib.Path, n_users: int, seen_per_user: int):
    """users.txt and a canonical data folder whose interactions are the seen items."""
    users = [f"u{i}" for i in range(n_users)]
    (folder / "users.txt").write_text("\n".join(users) + "\n")
    data = folder / "data"
    data.mkdir()
    with open(data / "interactions.csv", "w") as f:
        f.write("user_id,item_id,timestamp,rating\n")
        for i, user in enumerate(users):
            for j in range(seen_per_user):
                f.write(f"{user},i{(i * 7 + j * 13) % N_ITEMS},{1_700_000_000 + j},4\n")
    return str(folder / "users.txt"), str(data)


def baseline(model_dir: str, users_file: str, data_dir: str, out: str) -> float:
    """Plain loop; returns seconds."""
    from components.batch_scorer.model_handler import _LoadedRecommend, recommend_batch, to_row
    from rec_model.data import canonical

    start = time.time()
    seen = {}
    for r in canonical.iter_interactions(os.path.join(data_dir, "interactions.csv")):
        seen.setdefault(r.user_id, set()).add(r.item_id)
    with open(users_file) as f:
        users = sorted({line.strip() for line in f if line.strip()})
    model = _LoadedRecommend(model_dir)
    with open(out, "w") as f:
        for s in range(0, len(users), BATCH):
            chunk = users[s:s + BATCH]
            outputs = recommend_batch(model, chunk, K, [sorted(seen.get(u, ())) for u in chunk])
            for i, user in enumerate(chunk):
                f.write(json.dumps(to_row(user, outputs, i, True)) + "\n")
    return time.time() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--seen-per-user", type=int, default=20)
    args = parser.parse_args(argv)

    from components.batch_scorer.config import BatchScoreConfig
    from components.batch_scorer.scoring_job import run_batch_scoring
    from serving.testing import export_standin

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        model_dir = str(export_standin(tmp / "model", 1, n_users=args.users, n_items=N_ITEMS, dim=DIM))
        users_file, data_dir = write_inputs(tmp, args.users, args.seen_per_user)
        seconds = baseline(model_dir, users_file, data_dir, str(tmp / "baseline.jsonl"))
        rows.append({"mode": "baseline_plain_loop", "seconds": round(seconds, 2), "users_per_s": round(args.users / seconds, 1)})
        base_rate = rows[0]["users_per_s"]
        config = BatchScoreConfig(k=K, max_batch_size=BATCH)
        for mode, beam_args in (("beam_in_process", []),
                                ("beam_multi_process", ["--direct_num_workers=2", "--direct_running_mode=multi_processing"])):
            out = str(tmp / f"{mode}.jsonl")
            start = time.time()
            summary = run_batch_scoring(model_dir, users_file, out, config, seen_from=data_dir, beam_args=beam_args)
            seconds = time.time() - start
            assert summary["users_scored"] == args.users, summary
            rate = args.users / seconds
            rows.append({"mode": mode, "beam_args": beam_args, "seconds": round(seconds, 2), "users_per_s": round(rate, 1),
                         "ratio_vs_baseline": round(rate / base_rate, 3)})
            print(rows[-1], flush=True)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}",
        "model": {"kind": "serving.testing stand-in", "users": args.users, "items": N_ITEMS, "dim": DIM, "k": K},
        "seen_per_user": args.seen_per_user,
        "batch_size": BATCH,
        "rows": rows,
        "note": "wall time includes model load and, for Beam, pipeline/worker start-up; "
                "ratio_vs_baseline > 1 means Beam scored faster than the plain loop",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batch_scoring.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
