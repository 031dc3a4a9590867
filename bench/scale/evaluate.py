"""Runs the evaluator component alone on a finished pipeline root, with this checkout's code.

    python -m bench.scale.evaluate --root <work>/L/pipeline_root --out eval_L.json

so a change of the evaluator is timed at size L without the hours of its pipeline run. It
evaluates the root's newest Model on its Examples with the default `EvaluatorConfig` (as the
pipeline does on a first run: no baseline), and compares the metrics with the evaluation the
pipeline wrote (`same_overall`, `same_per_agent`: equal to the last digit).
"""

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TFRS needs Keras 2 (before TF loads)


def _newest(folder: str) -> str:
    runs = [n for n in os.listdir(folder) if n.isdigit()]
    if not runs:
        raise FileNotFoundError(f"{folder}: no numbered artifact folders")
    return os.path.join(folder, max(runs, key=int))


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


def evaluate(root: str, work: str) -> dict:
    """Times the evaluator's executor on `root`'s artifacts; writes its outputs under `work`."""
    from tfx.types import standard_artifacts

    from components.evaluator import executor
    from components.evaluator.config import EvaluatorConfig

    examples = standard_artifacts.Examples()
    examples.uri = _newest(os.path.join(root, "example_gen", "examples"))
    model = standard_artifacts.Model()
    model.uri, model.id = _newest(os.path.join(root, "trainer", "model")), 1
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = os.path.join(work, "blessing")
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = os.path.join(work, "evaluation")
    load_before, start = _load_average(), time.perf_counter()
    executor.Executor().Do({"examples": [examples], "model": [model]},
                           {"blessing": [blessing], "evaluation": [evaluation]},
                           {"config_json": EvaluatorConfig().to_json()})
    seconds = time.perf_counter() - start
    with open(os.path.join(evaluation.uri, "metrics.json"), encoding="utf-8") as f:
        report = json.load(f)
    result = {"root": root, "model": model.uri, "seconds": round(seconds, 1),
              "load_before": load_before, "load_after": _load_average(),
              "users": report["users_evaluated"], "catalogue": report["catalogue"],
              "reason": report["reason"],
              "per_agent_users": report["candidate"].get("per_agent_users"),
              "per_agent_ndcg@10": {a: m["ndcg@10"]
                                    for a, m in report["candidate"]["per_agent"].items()},
              "muted_agents": report["candidate"]["muted_agents"]}
    recorded = os.path.join(root, "evaluator", "evaluation")
    if os.path.isdir(recorded):
        with open(os.path.join(_newest(recorded), "metrics.json"), encoding="utf-8") as f:
            before = json.load(f)["candidate"]
        now = report["candidate"]
        result["same_overall"] = all(now[m] == before[m] for m in ("ndcg@10", "recall@50"))
        result["same_per_agent"] = now["per_agent"] == before["per_agent"]
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="pipeline root of a finished run")
    parser.add_argument("--out", required=True, help="JSON result")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        result = evaluate(args.root, work)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
