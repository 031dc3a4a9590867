"""Ingest throughput: example_gen's Beam job (and transform's) against a plain `csv` read.

For each size (BENCHMARK.md: S, M, L) a synthetic canonical folder (`recsys data synth`) is
made once (cached under --data-root), then in the same run, each in a fresh subprocess so
peak RSS is the stage's own:
- baseline: `csv.reader` over interactions.csv, counting rows (no validation, no output);
- example_gen: the component's executor on Beam's DirectRunner, in process (validate,
  quarantine, per-user time split, gzipped tf.Example TFRecords);
- transform (optional): the tf.Transform analysis + transform of example_gen's output.
Reports wall rows/s, rows per process-CPU second (steadier on a shared machine), the ratio
of each to the baseline's, peak RSS (ru_maxrss) and the load average before and after.

    python bench/bench_ingest.py --sizes S,M            -> bench/results/ingest.{json,md}
    python bench/bench_ingest.py --sizes S --repo /tmp/base --out ingest_before
        (the same harness over another checkout, e.g. the commit before a change)
"""

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = pathlib.Path(__file__).resolve().parents[1]
# Last: a child measures the checkout given by --repo, which goes first (see `_child`).
sys.path.append(str(ROOT))

from bench import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SIZES = {"S": (20_000, 5_000, 400_000), "M": (200_000, 20_000, 4_000_000),
         "L": (1_000_000, 100_000, 20_000_000)}


def _stage(stage: str, data: str, work: str) -> dict:
    """Runs one stage in this (fresh) process; returns its measurements."""
    start, cpu = time.time(), machine.cpu_seconds()
    if stage == "baseline_csv":
        import csv  # pylint: disable=import-outside-toplevel

        with open(os.path.join(data, "interactions.csv"), newline="", encoding="utf-8") as f:
            rows = sum(1 for _ in csv.reader(f)) - 1
    elif stage == "example_gen":
        from tests.components.example_gen.test_executor import run_executor

        examples, _ = run_executor(pathlib.Path(work), data)
        rows = examples.get_int_custom_property("rows_read")
    else:
        rows = _transform(work)
    return {"stage": stage, "rows": rows, "seconds": time.time() - start,
            "cpu_seconds": machine.cpu_seconds() - cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _transform(work: str) -> int:
    from tfx.dsl.components.base import base_beam_executor
    from tfx.types import artifact_utils, standard_artifacts

    from components.transform import executor

    examples = standard_artifacts.Examples()
    examples.uri = os.path.join(work, "examples")
    examples.split_names = artifact_utils.encode_split_names(["train", "eval"])
    graph, out = standard_artifacts.TransformGraph(), standard_artifacts.Examples()
    graph.uri, out.uri = os.path.join(work, "graph"), os.path.join(work, "transformed")
    context = base_beam_executor.BaseBeamExecutor.Context(
        beam_pipeline_args=[], tmp_dir=os.path.join(work, "tmp_t"), unique_id="2")
    executor.Executor(context).Do({"examples": [examples]},
                                  {"transform_graph": [graph], "transformed_examples": [out]}, {})
    counts = json.load(open(os.path.join(work, "counts.json")))
    return counts["rows_train"] + counts["rows_eval"]


def _child(args) -> int:
    sys.path.insert(0, args.repo)
    result = _stage(args.child, args.data, args.work)
    if args.child == "example_gen":
        from components.example_gen import beam_ingest

        counts = beam_ingest.read_counts(os.path.join(args.work, "quarantine"))
        json.dump(counts, open(os.path.join(args.work, "counts.json"), "w"))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def _run_child(stage: str, data: str, work: str, repo: str) -> dict:
    load_before = os.getloadavg()[0]
    env = dict(os.environ, PYTHONPATH=repo)
    proc = subprocess.run([sys.executable, __file__, "--child", stage, "--data", data,
                           "--work", work, "--repo", repo], env=env, capture_output=True,
                          text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{stage} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result.update(load_before=round(load_before, 2), load_after=round(os.getloadavg()[0], 2))
    return result


def _dataset(size: str, data_root: pathlib.Path) -> str:
    folder = data_root / size
    if not (folder / "interactions.csv").exists():
        from rec_model.data.synth import generate_synthetic

        generate_synthetic(str(folder), *SIZES[size])
    return str(folder)


def _markdown(result: dict) -> str:
    lines = [f"# Ingest benchmark{' (' + result['label'] + ')' if result['label'] else ''}", "",
             f"{result['machine']}; {result['when']}; code: `{result['repo']}`.", "",
             "Rows/s is wall time; rows/CPU-s uses the process's own CPU time. Ratios are "
             "against `csv.reader` over the same file in the same run.", "",
             "| size | stage | rows | s | rows/s | ratio | rows/CPU-s | CPU ratio | peak RSS MB "
             "| load before/after |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        lines.append(
            f"| {row['size']} | {row['stage']} | {row['rows']:,} | {row['seconds']:.1f} | "
            f"{row['rows_per_s']:,.0f} | {row['ratio_vs_csv']:.4f} | "
            f"{row['rows_per_cpu_s']:,.0f} | {row['cpu_ratio_vs_csv']:.4f} | "
            f"{row['peak_rss_mb']:,.0f} | {row['load_before']} / {row['load_after']} |")
    lines += ["", f"Command: `{result['command']}`", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M", help="comma list of S, M, L")
    parser.add_argument("--stages", default="example_gen,transform")
    parser.add_argument("--data-root", default=os.path.join(tempfile.gettempdir(), "recsys-bench"))
    parser.add_argument("--repo", default=str(ROOT), help="checkout whose components are timed")
    parser.add_argument("--out", default="ingest", help="result name under bench/results/")
    parser.add_argument("--label", default="")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)

    data_root = pathlib.Path(args.data_root)
    rows = []
    for size in args.sizes.split(","):
        data = _dataset(size, data_root)
        work = tempfile.mkdtemp(prefix=f"ingest-{size}-")
        try:
            base = _run_child("baseline_csv", data, work, args.repo)
            stages = [base] + [_run_child(s, data, work, args.repo)
                               for s in args.stages.split(",") if s]
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for result in stages:
            result.update(size=size, rows_per_s=result["rows"] / result["seconds"],
                          rows_per_cpu_s=result["rows"] / max(result["cpu_seconds"], 1e-9))
            result["ratio_vs_csv"] = result["rows_per_s"] / base["rows_per_s"]
            result["cpu_ratio_vs_csv"] = result["rows_per_cpu_s"] / base["rows_per_cpu_s"]
            rows.append(result)
            print(json.dumps(result), flush=True)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine.describe(),
        "repo": args.repo, "label": args.label,
        "command": "python bench/bench_ingest.py " + " ".join(argv or sys.argv[1:]),
        "runner": "DirectRunner, in process (one Python process)",
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(_markdown(result))
    print(_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
