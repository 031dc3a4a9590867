"""Batch scoring of the pushed model: `recsys batch-score` against a plain in-process loop.

Both run as child processes of the benchmark (so both pay the same interpreter and
TensorFlow start-up, and each gets its own peak RSS) on the same SavedModel, the same
seeded sample of known users, k=10, and the same seen items to exclude (the size's
canonical data folder, i.e. every interaction the pushed model was fitted on):
- `python -m tfx_pipeline.cli.main batch-score ...` (Beam RunInference, DirectRunner);
- `python -m bench.scale.batch --loop ...`: the plain in-process loop of
  `components/batch_scorer/plain_loop.py` (read seen items, call `recommend` on batches,
  write JSON lines), the baseline of bench/bench_batch_scoring.py too.
The ratio is the loop's wall time over batch-score's (> 1: batch-score is faster): whole
child processes, start-up and exit included, as a user waits for them.

    python -m bench.scale.batch --model <serving>/recsys/<version> --data <canonical folder> \\
        --sample 20000 --rounds 3 --out batch_compare.json
"""

import argparse
import json
import os
import sys
import time
from typing import Dict, List, Optional

from bench.scale.monitor import run_monitored

K = 10


def write_users(saved_model: str, out_path: str, n: int, seed: int) -> int:
    """Writes up to `n` random known users (one per line); returns how many."""
    from bench.scale.serving import sample_users

    users = sample_users(saved_model, n, seed)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(users) + "\n")
    return len(users)


def _inner_seconds(done) -> float:
    """The child's own timing from its last JSON line ("seconds" or "loop_seconds")."""
    for _, text in reversed(done.lines):
        if text.startswith("{"):
            try:
                summary = json.loads(text)
            except ValueError:
                continue
            return summary.get("seconds", summary.get("loop_seconds"))
    return None


def _lines(path: str) -> int:
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


def run(saved_model: str, data_dir: str, work: str, log_path: str, env: Dict, n_users: int,
        seed: int = 0, beam_args: List[str] = (), max_rss: Optional[int] = None) -> Dict:
    """Both scorers on one user sample; see the module docstring."""
    os.makedirs(work, exist_ok=True)
    users_file = os.path.join(work, "users.txt")
    count = write_users(saved_model, users_file, n_users, seed)
    py = sys.executable
    commands = {
        "batch_score": [py, "-m", "tfx_pipeline.cli.main", "batch-score", "--model", saved_model,
                        "--users", users_file, "--k", str(K), "--seen-from", data_dir,
                        "--out", os.path.join(work, "batch_score.jsonl"), *beam_args],
        "plain_loop": [py, "-m", "bench.scale.batch", "--loop", "--model", saved_model,
                       "--users", users_file, "--data", data_dir,
                       "--out", os.path.join(work, "plain_loop.jsonl")],
    }
    result = {"users": count, "k": K, "beam_args": list(beam_args), "seen_from": data_dir}
    for name, command in commands.items():
        done = run_monitored(command, log_path, env=env, max_rss=max_rss)
        out = command[command.index("--out") + 1]
        result[name] = {"returncode": done.returncode, "seconds": round(done.seconds, 1),
                        "inner_seconds": _inner_seconds(done),
                        "peak_rss": done.peak_rss, "rows": _lines(out),
                        "users_per_s": round(_lines(out) / done.seconds, 1),
                        "command": " ".join(command[1:]), "load": done.load}
        if done.returncode != 0:
            result[name]["tail"] = done.tail()
    ok = all(result[n]["returncode"] == 0 and result[n]["rows"] == count for n in commands)
    result["ok"] = ok
    if ok:
        result["ratio_vs_loop"] = round(result["plain_loop"]["seconds"]
                                        / result["batch_score"]["seconds"], 3)
    return result


def rounds(saved_model: str, data_dir: str, work: str, n_users: int, n_rounds: int,
           env: Optional[Dict] = None) -> Dict:
    """`run` repeated `n_rounds` times on the same sample (both scorers back to back in each
    round); the median of the per-round ratios is the figure (the machine is shared)."""
    import statistics

    results = [run(saved_model, data_dir, os.path.join(work, f"round{r}"),
                   os.path.join(work, "batch.log"), env or dict(os.environ), n_users)
               for r in range(n_rounds)]
    ratios = [r.get("ratio_vs_loop") for r in results]
    ok = all(r["ok"] for r in results)
    return {"model": saved_model, "seen_from": data_dir, "rounds": results,
            "ratios": ratios, "ok": ok,
            "median_ratio_vs_loop": statistics.median(ratios) if ok else None}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loop", action="store_true",
                        help="be the plain loop's child (--users FILE); without it, compare "
                             "both scorers for --rounds rounds on --sample users")
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="canonical data folder (seen items)")
    parser.add_argument("--out", required=True, help="the loop's JSON lines, or the results")
    parser.add_argument("--users", help="users file (with --loop)")
    parser.add_argument("--sample", type=int, default=20000, help="users to score")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", default="out/batch_compare", help="inputs and outputs")
    args = parser.parse_args(argv)
    if not args.loop:
        result = rounds(args.model, args.data, args.work, args.sample, args.rounds)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
        print(json.dumps({"ratios": result["ratios"],
                          "median_ratio_vs_loop": result["median_ratio_vs_loop"]}))
        return 0 if result["ok"] else 1
    from components.batch_scorer import plain_loop
    from components.batch_scorer.config import BatchScoreConfig

    start = time.time()
    plain_loop.score_users(args.model, args.out, BatchScoreConfig(k=K), args.users,
                           seen_from=args.data)
    seconds = time.time() - start
    print(json.dumps({"loop_seconds": round(seconds, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
