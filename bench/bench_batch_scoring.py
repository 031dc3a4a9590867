"""Batch scoring throughput: `recsys batch-score` (Beam) vs a plain in-process loop, same run.

Modes, each in a fresh child process (timed from the scoring call to the output file closed,
so model loading, Beam start-up and worker processes count; the child's imports do not),
interleaved over `--repeats` rounds in rotating order:
- loop: the issue's baseline, `components/batch_scorer/plain_loop.py`: seen items read into a
  dict, `recommend` on consecutive batches of 256 users, `json.dumps` per user;
- tuned_loop: one process, no Beam, but the Beam path's reading, call planning and
  formatting; it shows what Beam itself costs or gains;
- beam1: `run_batch_scoring` on the local runner, one in-process worker;
- beam2: the same with `--direct_num_workers=2 --direct_running_mode=multi_processing`
  (each worker process gets one of the 2 cores: `scoring_job.worker_threads`);
- loop_1t / beam1_1t: loop / beam1 with TensorFlow held to one thread
  (`TF_NUM_INTRAOP_THREADS=1`, `TF_NUM_INTEROP_THREADS=1`), the one-core worker that beam2 runs
  two of: beam2 against beam1_1t is the scaling in workers at one core per worker.
Users: the first `--users` distinct users of `--data` (all by default); seen items: `--data`.
Model: `--model` (any SavedModel / TF Serving base path / TFX Model uri) or a serving.testing
stand-in of `--standin USERS,ITEMS,DIM` (ids u0.. and i0.., as `recsys data synth` writes).

    python bench/bench_batch_scoring.py --data /work/data/S --standin 20000,5000,64
    python bench/bench_batch_scoring.py --data D --model out/serving/recsys --users 100000
    -> bench/results/<--name>.{json,md}
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results"
MODES = ("loop", "tuned_loop", "beam1", "beam2", "loop_1t", "beam1_1t")
ONE_CORE = "_1t"
BEAM_ARGS = {"beam1": [],
             "beam2": ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]}


def load() -> float:
    return os.getloadavg()[0]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished, waited-for descendants (Beam workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def write_users(data: str, n: int, path: pathlib.Path) -> int:
    """The first `n` distinct users of the data's interactions (file order) -> `path`."""
    from components.batch_scorer import seen_pairs
    from components.example_gen import input_files

    users = {}
    for csv_path in input_files.find_interaction_files(data):
        column = seen_pairs.read_layout(csv_path).user
        with open(csv_path, "rb") as f:
            next(f)
            for line in f:
                user = line.split(b",")[column].strip()
                if user and user not in users:
                    users[user] = None
                    if len(users) >= n:
                        break
    path.write_bytes(b"".join(u + b"\n" for u in users))
    return len(users)


def seen_of(data: str, users) -> dict:
    """user id -> set of items of `users` in a canonical folder, read as the Beam job's
    workers read it (chunked seen parsing)."""
    from components.batch_scorer import scoring_job
    from components.batch_scorer.bucket_join import read_seen_unit

    wanted, seen = frozenset(users), {}
    for unit in scoring_job.seen_units(data):
        for user, item in zip(*read_seen_unit(unit, wanted)):
            seen.setdefault(user, set()).add(item)
    return seen


def tuned_loop(model_dir: str, users_file: str, data: str, out: str, config) -> None:
    """Beam's per-user work in one process: chunked seen parsing, planned calls, fast lines."""
    from components.batch_scorer import batch_plan, json_lines, plain_loop
    from components.batch_scorer.loaded_model import LoadedRecommend, recommend_batch

    users = plain_loop.read_users(users_file, config.max_user_id_bytes)
    seen = seen_of(data, users)
    excludes = [sorted(seen.get(u, ())) for u in users]
    model = LoadedRecommend(model_dir)
    blocks = batch_plan.blocks("0", users, excludes, config.max_batch_size,
                               config.max_exclude_cells)
    with open(out, "w", encoding="utf-8") as f:
        for block in blocks:
            outputs = recommend_batch(model, block.user_ids, config.k, block.excludes)
            f.write(json_lines.format_lines(block.user_ids, outputs, config.include_agent_scores))


def child(mode: str, model_dir: str, users_file: str, data: str, out: str, k: int,
          batch_size: int) -> dict:
    """Runs one mode; returns its wall and CPU seconds."""
    from components.batch_scorer import plain_loop
    from components.batch_scorer.config import BatchScoreConfig
    from components.batch_scorer.scoring_job import run_batch_scoring

    config = BatchScoreConfig(k=k, max_batch_size=batch_size)
    mode = mode.removesuffix(ONE_CORE)
    start, cpu = time.time(), cpu_seconds()
    if mode == "loop":
        plain_loop.score_users(model_dir, out, config, users_file, seen_from=data)
    elif mode == "tuned_loop":
        tuned_loop(model_dir, users_file, data, out, config)
    else:
        run_batch_scoring(model_dir, users_file, out, config, seen_from=data,
                          beam_args=BEAM_ARGS[mode])
    return {"seconds": time.time() - start, "cpu_seconds": cpu_seconds() - cpu}


def run_mode(args, mode: str, model_dir: str, users_file: str, out: str) -> dict:
    before = load()
    cmd = [sys.executable, __file__, "--child", mode, "--model", model_dir,
           "--users-file", users_file, "--data", args.data, "--out-file", out,
           "--k", str(args.k), "--batch-size", str(args.batch_size)]
    env = dict(os.environ)
    if mode.endswith(ONE_CORE):
        env.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode:
        raise RuntimeError(f"{mode} failed:\n{proc.stderr[-3000:]}")
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    with open(out, "rb") as f:
        lines = sum(1 for _ in f)
    return {"mode": mode, "seconds": round(timing["seconds"], 2),
            "cpu_seconds": round(timing["cpu_seconds"], 2), "lines": lines,
            "load_before": round(before, 2), "load_after": round(load(), 2)}


def item_agreement(a: str, b: str) -> float:
    """Share of users with the same item list in both outputs (float32 results of different
    batch shapes may swap near-ties); 0 when the user sets differ."""
    def rows(path):
        with open(path, encoding="utf-8") as f:
            return {r["user_id"]: r["item_ids"] for r in map(json.loads, f)}

    ra, rb = rows(a), rows(b)
    if set(ra) != set(rb):
        return 0.0
    return round(sum(ra[u] == rb[u] for u in ra) / max(1, len(ra)), 5)


def summarise(rounds, n_users: int, modes) -> list:
    table = []
    for mode in modes:
        secs = [r[mode]["seconds"] for r in rounds]
        cpu = statistics.median(r[mode]["cpu_seconds"] for r in rounds)
        row = {"mode": mode, "seconds_median": round(statistics.median(secs), 2), "seconds": secs,
               "users_per_s": round(n_users / statistics.median(secs), 1),
               "cpu_seconds_median": round(cpu, 2), "users_per_cpu_s": round(n_users / cpu, 1)}
        if "loop" in modes and mode != "loop":
            ratios = [r["loop"]["seconds"] / r[mode]["seconds"] for r in rounds]
            row["ratio_vs_loop_median"] = round(statistics.median(ratios), 3)
            row["ratio_vs_loop_per_round"] = [round(x, 3) for x in ratios]
            cpu_ratios = [r["loop"]["cpu_seconds"] / r[mode]["cpu_seconds"] for r in rounds]
            row["cpu_ratio_vs_loop_median"] = round(statistics.median(cpu_ratios), 3)
        if mode == "beam2" and "beam1_1t" in modes:
            ratios = [r["beam1_1t"]["seconds"] / r[mode]["seconds"] for r in rounds]
            row["ratio_vs_beam1_1t_median"] = round(statistics.median(ratios), 3)
        table.append(row)
    return table


def write_results(result: dict, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    low, high = result["load_range"]
    lines = [f"# Batch scoring: Beam vs plain loop ({result['when']})", "",
             f"Command: `{result['command']}`  ",
             f"Machine: {result['machine']}; load (1-min average) {low}-{high} during the run  ",
             f"Model: {result['model']}  ",
             f"Users: {result['users']:,}; k={result['k']}; batch size {result['batch_size']}; "
             f"seen items from `{result['data']}`", "",
             "| mode | median s | users/s | ratio vs loop (median) | per round | CPU s | "
             "CPU ratio vs loop |", "|---|---|---|---|---|---|---|"]
    for row in result["table"]:
        lines.append(
            f"| {row['mode']} | {row['seconds_median']} | {row['users_per_s']:,} | "
            f"{row.get('ratio_vs_loop_median', '-')} | {row.get('ratio_vs_loop_per_round', '')} | "
            f"{row['cpu_seconds_median']} | {row.get('cpu_ratio_vs_loop_median', '-')} |")
    scaling = [r for r in result["table"] if "ratio_vs_beam1_1t_median" in r]
    if scaling:
        lines += ["", "Workers at one core each: beam2 is "
                  f"{scaling[0]['ratio_vs_beam1_1t_median']}x beam1_1t (median over rounds)."]
    lines += ["", f"Same item lists as the loop: {result['same_items_as_loop']}", "",
              result["note"], ""]
    (RESULTS / f"{name}.md").write_text("\n".join(lines))


def parse_args(argv):
    from components.batch_scorer.config import BatchScoreConfig

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="canonical data folder (seen items, users)")
    parser.add_argument("--model", help="SavedModel, TF Serving base path or TFX Model uri")
    parser.add_argument("--standin", default="20000,5000,64",
                        help="USERS,ITEMS,DIM of the stand-in")
    parser.add_argument("--users", type=int, default=0,
                        help="first N distinct users of --data (0: all)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=BatchScoreConfig.max_batch_size,
                        help="most users per call of the Beam path and tuned_loop (loop: 256)")
    parser.add_argument("--name", default="batch_scoring", help="results file stem")
    parser.add_argument("--work", help="folder for inputs/outputs (default: a temporary one)")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--users-file", help=argparse.SUPPRESS)
    parser.add_argument("--out-file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.model, args.users_file, args.data, args.out_file,
                               args.k, args.batch_size)))
        return 0

    from components.batch_scorer import model_path

    modes = [m for m in args.modes.split(",") if m]
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        tmp = pathlib.Path(tmp)
        users_file = tmp / "users.txt"
        n_users = write_users(args.data, args.users or 1 << 62, users_file)
        if args.model:
            model_dir = model_path.resolve_saved_model(args.model)
            model_desc = f"SavedModel {args.model}"
        else:
            from serving.testing import export_standin

            n, items, dim = (int(x) for x in args.standin.split(","))
            model_dir = str(export_standin(tmp / "model", 1, n_users=n, n_items=items, dim=dim))
            model_desc = f"serving.testing stand-in ({n:,} users, {items:,} items, {dim}-d)"
        rounds, outs = [], {}
        for r in range(args.repeats):
            order = modes[r % len(modes):] + modes[:r % len(modes)]
            results = {}
            for mode in order:
                outs[mode] = str(tmp / f"{mode}.jsonl")
                results[mode] = run_mode(args, mode, model_dir, str(users_file), outs[mode])
                print(json.dumps(results[mode]), flush=True)
            rounds.append(results)
        agreement = {m: item_agreement(outs[m], outs["loop"])
                     for m in modes if m != "loop" and "loop" in outs}
    loads = [x for r in rounds for m in r.values() for x in (m["load_before"], m["load_after"])]
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "python bench/bench_batch_scoring.py "
                   + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine.describe(),
        "load_range": [min(loads), max(loads)], "model": model_desc, "data": args.data,
        "users": n_users, "k": args.k, "batch_size": args.batch_size,
        "table": summarise(rounds, n_users, modes), "rounds": rounds,
        "same_items_as_loop": agreement,
        "note": "Seconds: scoring call to output closed (model load, Beam start-up and worker "
                "processes included; the child's imports not). Ratio > 1: faster than the plain "
                "loop, computed per round (modes back to back), then the median. CPU s: user + "
                "system time of the mode's processes (Beam workers included) over the same span: "
                "on a machine shared with other jobs it says how much work a mode needs, while "
                "wall time also says how much of the cores it was given.",
    }
    write_results(result, args.name)
    print(json.dumps(result["table"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
