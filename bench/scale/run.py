"""The scale protocol of ../shared/BENCHMARK.md, end to end through the real pipeline.

    python -m bench.scale.run --sizes S,M --work out/scale --out bench/results/scale.json \
        [--data-root DIR] [--skip-existing]

Per size, each phase a child process whose process-tree RSS is sampled every 0.5 s:
1. data: `recsys data synth` into <data-root>/<size> (reused when present and matching);
2. pipeline: `recsys pipeline run --split-mode random --eval-fraction 0.2 --pretrain off`
   on a fresh pipeline root; per-component wall time and peak RSS from its progress lines,
   artifact sizes, the pushed SavedModel's sizes, the trainer's own sub-stage timings;
3. quality (bench/scale/quality.py), 4. serving (bench/scale/serving.py, --serving-sizes),
5. batch scoring (bench/scale/batch.py).
Each phase writes <work>/<size>/parts/<phase>.json; with --skip-existing a phase whose part
says ok and was measured on the same code (`code_fingerprint`) is not run again (a new
pipeline run invalidates the later parts). After each size
the results are merged into --out (other sizes kept) and the .md beside it is rewritten.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional

from bench import machine
from bench.scale import batch as batch_lib
from bench.scale import report
from bench.scale import stages as stage_lib
from bench.scale.monitor import parse_progress, peak_between, rss_at, run_monitored

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# name -> (users, items, interactions); XS is a development size outside the protocol.
SIZES = {"XS": (2_000, 1_000, 40_000), "S": (20_000, 5_000, 400_000),
         "M": (200_000, 20_000, 4_000_000), "L": (1_000_000, 100_000, 20_000_000)}
PHASES = ("pipeline", "quality", "serving", "batch")
MODEL_NAME = "recsys"


def child_env() -> Dict[str, str]:
    env = dict(os.environ, PYTHONPATH=REPO, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONUNBUFFERED="1")
    return env


def cli(*args: str) -> List[str]:
    # Through this checkout's module, never the `recsys` script (it may import another copy).
    return [sys.executable, "-m", "tfx_pipeline.cli.main", *args]


def code_fingerprint() -> str:
    """Git tree ids of the measured packages (not bench/), "+dirty" with local edits: a part
    is reused only when measured on the same code."""
    dirs = ["rec_model", "components", "tfx_pipeline", "serving"]
    git = ["git", "-C", REPO]
    trees = subprocess.run(git + ["rev-parse"] + [f"HEAD:{d}" for d in dirs],
                           capture_output=True, text=True).stdout.split()
    dirty = subprocess.run(git + ["status", "--porcelain", "--"] + dirs,
                           capture_output=True, text=True).stdout.strip()
    return ",".join(t[:12] for t in trees) + ("+dirty" if dirty else "")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class SizeRun:
    """One size's folders, parts and logs under <work>/<size>/."""

    def __init__(self, name: str, args):
        self.name, self.args = name, args
        self.users, self.items, self.interactions = SIZES[name]
        self.dir = os.path.abspath(os.path.join(args.work, name))
        self.data = os.path.abspath(os.path.join(args.data_root or os.path.join(args.work, "data"),
                                                 name))
        self.root = os.path.join(self.dir, "pipeline_root")
        self.serving_dir = os.path.join(self.dir, "serving")
        for sub in ("parts", "logs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)

    def part_path(self, phase: str) -> str:
        return os.path.join(self.dir, "parts", f"{phase}.json")

    def log(self, phase: str) -> str:
        return os.path.join(self.dir, "logs", f"{phase}.log")

    def load_part(self, phase: str) -> Optional[Dict]:
        path = self.part_path(phase)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def save_part(self, phase: str, part: Dict) -> Dict:
        part["code"] = self.args.code
        with open(self.part_path(phase), "w", encoding="utf-8") as f:
            json.dump(part, f, indent=1)
        return part

    def reusable(self, phase: str) -> Optional[Dict]:
        part = self.load_part(phase)
        same_code = part and part.get("code") == self.args.code and "dirty" not in self.args.code
        return part if self.args.skip_existing and same_code and part.get("ok") else None


def ensure_data(run: SizeRun) -> Dict:
    """Synthesises the size's data unless a matching folder exists."""
    meta_path = os.path.join(run.data, "synth_meta.json")
    if os.path.exists(os.path.join(run.data, "interactions.csv")) and os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as f:
            got = json.load(f)["args"]
        want = {"n_users": run.users, "n_items": run.items, "n_interactions": run.interactions}
        if any(got.get(k) != v for k, v in want.items()):
            raise SystemExit(f"{run.data} holds synthetic data with {got}, not {want}; point "
                             "--data-root elsewhere or remove it")
        return {"path": run.data, "reused": True}
    os.makedirs(os.path.dirname(run.data), exist_ok=True)
    done = run_monitored(cli("data", "synth", "--users", str(run.users), "--items",
                             str(run.items), "--interactions", str(run.interactions),
                             "--out", run.data), run.log("data"), env=child_env())
    if done.returncode != 0:
        raise SystemExit(f"data synth failed for {run.name}:\n{done.tail()}")
    return {"path": run.data, "reused": False, "seconds": round(done.seconds, 1),
            "peak_rss": done.peak_rss}


def run_pipeline(run: SizeRun) -> Dict:
    """A fresh pipeline run; component windows, RSS and artifact facts."""
    for path in (run.root, run.serving_dir):
        shutil.rmtree(path, ignore_errors=True)  # fresh: no cache hits, no warm start
    for phase in PHASES[1:]:
        if os.path.exists(run.part_path(phase)):
            os.remove(run.part_path(phase))  # they measured the previous model
    command = cli("pipeline", "run", "--data", run.data, "--pipeline-root", run.root,
                  "--serving-dir", run.serving_dir, "--model-name", MODEL_NAME,
                  "--split-mode", "random", "--eval-fraction", "0.2", "--pretrain", "off",
                  *run.args.pipeline_flag)
    done = run_monitored(command, run.log("pipeline"), env=child_env(), timeout=run.args.timeout,
                         max_rss=run.args.max_rss)
    components = parse_progress(done.lines)
    for c in components:
        c["peak_rss"] = peak_between(done.samples, c["start"], c["end"])
        # Components share one process: memory kept from earlier ones shows in later peaks.
        c["rss_at_start"] = rss_at(done.samples, c["start"])
    crashed = [c["name"] for c in components if not c["finished"]]
    part = {"ok": done.returncode == 0, "returncode": done.returncode,
            "seconds": round(done.seconds, 1), "peak_rss": done.peak_rss, "load": done.load,
            "killed_for_rss": done.killed_for_rss, "command": " ".join(command[1:]),
            "components": components, "crashed": crashed,
            "artifacts": stage_lib.component_sizes(run.root),
            "pushed_model": stage_lib.pushed_model(run.serving_dir, MODEL_NAME),
            "trainer": stage_lib.trainer_card(run.root),
            "rss_trace": [(round(t - done.samples[0][0], 1), r) for t, r, _ in done.samples[::20]]
            if done.samples else []}
    if not part["ok"]:
        part["tail"] = done.tail(40)
    return run.save_part("pipeline", part)


def run_child_phase(run: SizeRun, phase: str, command: List[str]) -> Dict:
    """Runs a bench.scale module that writes its part JSON to `--out`; adds RSS and time."""
    out = run.part_path(phase)
    if os.path.exists(out):
        os.remove(out)
    done = run_monitored(command + ["--out", out], run.log(phase), env=child_env(),
                         timeout=run.args.timeout, max_rss=run.args.max_rss)
    part = run.load_part(phase) if done.returncode == 0 else None
    part = part or {"tail": done.tail(40)}
    part.update(ok=done.returncode == 0 and "tail" not in part, returncode=done.returncode,
                wall_seconds=round(done.seconds, 1), peak_rss=done.peak_rss, load=done.load,
                killed_for_rss=done.killed_for_rss)
    return run.save_part(phase, part)


def run_size(name: str, args) -> Dict:
    """Every phase of one size; returns the size's merged result."""
    run = SizeRun(name, args)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    before = uptime()
    print(f"[{name}] {before}", flush=True)
    data = ensure_data(run)
    pipeline = run.reusable("pipeline") or run_pipeline(run)
    print(f"[{name}] pipeline ok={pipeline['ok']} {pipeline['seconds']} s", flush=True)
    examples, model = stage_lib.examples_uri(run.root), stage_lib.model_artifact(run.root)
    pushed = pipeline.get("pushed_model")
    parts = {}
    if examples and model:
        parts["quality"] = run.reusable("quality") or run_child_phase(
            run, "quality", [sys.executable, "-m", "bench.scale.quality", "--examples", examples,
                             "--model", model, "--max-users", str(args.quality_users)])
    if pushed and name in args.serving_sizes:
        parts["serving"] = run.reusable("serving") or run_child_phase(
            run, "serving", [sys.executable, "-m", "bench.scale.serving", "--base",
                             os.path.dirname(pushed["path"]), "--model-name", MODEL_NAME,
                             "--duration", str(args.duration), "--binary", args.binary])
    if pushed:
        parts["batch"] = run.reusable("batch") or run.save_part("batch", batch_lib.run(
            pushed["path"], run.data, os.path.join(run.dir, "batch"), run.log("batch"),
            child_env(), args.batch_users, max_rss=args.max_rss))
    for phase, part in parts.items():
        print(f"[{name}] {phase} ok={part.get('ok')}", flush=True)
    return assemble(run, data, pipeline, parts, started, before)


def assemble(run: SizeRun, data: Dict, pipeline: Dict, parts: Dict, started: str,
             before: str) -> Dict:
    """One size's entry of scale.json."""
    rows = stage_lib.stage_rows(pipeline["components"], pipeline.get("trainer", {}),
                                pipeline.get("artifacts", {}))
    rows["pipeline (end to end)"] = {"seconds": pipeline["seconds"],
                                     "peak_rss": pipeline["peak_rss"],
                                     "artifact_bytes": sum(pipeline.get("artifacts", {}).values()),
                                     "finished": pipeline["ok"]}
    score = (parts.get("batch") or {}).get("batch_score")
    if score:
        rows["batch scoring"] = {"seconds": score["seconds"], "peak_rss": score["peak_rss"],
                                 "artifact_bytes": None, "finished": score["returncode"] == 0}
    problems = [f"pipeline rc {pipeline['returncode']}, crashed in {pipeline['crashed']}"
                + (" (killed above --max-rss-gb)" if pipeline.get("killed_for_rss") else "")
                ] if not pipeline["ok"] else []
    problems += [f"{p} failed (rc {v.get('returncode')})" for p, v in parts.items()
                 if not v.get("ok")]
    target = (parts.get("serving") or {}).get("target")
    if target and not target.get("met"):
        problems.append(f"serving target missed: p99 {target['p99_ms']} ms > {target['bound_ms']} "
                        f"ms or {target['errors']} errors")
    return {"spec": {"users": run.users, "items": run.items, "interactions": run.interactions},
            "interactions": run.interactions, "when": started, "uptime_before": before,
            "uptime_after": uptime(), "code": run.args.code,
            "command": "python -m bench.scale.run " + " ".join(sys.argv[1:]),
            "machine": machine.describe(),
            "data": data, "stages": rows, "pipeline": {k: v for k, v in pipeline.items()
                                                       if k not in ("rss_trace",)},
            "artifacts": pipeline.get("artifacts", {}),
            "pushed_model": pipeline.get("pushed_model"),
            "trainer": pipeline.get("trainer", {}), "problems": problems, **parts}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M", help=f"comma-separated, of {list(SIZES)}")
    parser.add_argument("--work", default="out/scale", help="pipeline roots, parts and logs")
    parser.add_argument("--data-root", default=None,
                        help="<data-root>/<size> (default <work>/data)")
    parser.add_argument("--out", default="bench/results/scale.json")
    parser.add_argument("--skip-existing", action="store_true",
                        help="reuse phases whose part JSON says ok")
    parser.add_argument("--serving-sizes", default="S,M,L",
                        help="sizes that get the serving phase")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per serving cell")
    parser.add_argument("--binary", default="python",
                        help="model server: python|auto|tensorflow_model_server")
    parser.add_argument("--quality-users", type=int, default=10000)
    parser.add_argument("--batch-users", type=int, default=20000)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per phase (kill after)")
    parser.add_argument("--max-rss-gb", type=float, default=None,
                        help="kill a phase whose process tree exceeds this many GiB")
    parser.add_argument("--pipeline-flag", action="append", default=[],
                        help="extra `pipeline run` flag, repeatable "
                        "(e.g. --pipeline-flag=--epochs=2)")
    args = parser.parse_args(argv)
    args.serving_sizes = set(args.serving_sizes.split(","))
    args.code = code_fingerprint()
    args.max_rss = int(args.max_rss_gb * 2**30) if args.max_rss_gb else None
    for name in args.sizes.split(","):
        if name not in SIZES:
            parser.error(f"unknown size {name!r}; choose from {list(SIZES)}")
        result = run_size(name, args)
        report.write(args.out, {name: result})
        print(f"[{name}] wrote {args.out} and {os.path.splitext(args.out)[0]}.md; problems: "
              f"{result['problems'] or 'none'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
