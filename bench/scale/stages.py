"""What one pipeline run cost, per stage of the protocol, and how costs grow with size.

The protocol's stages (../shared/BENCHMARK.md "Scale") map onto the pipeline like this:
ingest = example_gen; transform = transform; embeddings = text_embedder (+ domain_pretrainer);
closed-form fits, training and export are inside the trainer component, timed by the
trainer itself (`model_card.json` -> training.seconds_per_stage: fit + refit, pairs + gate,
export); evaluation = evaluator; push = infra_validator + pusher; batch scoring is measured
after the pipeline (bench/scale/batch.py). The trainer's sub-stages have no window of
their own in the progress lines, so their peak RSS is the trainer component's.
"""

import glob
import json
import math
import os
from typing import Dict, List, Optional, Sequence

# Protocol stage -> pipeline components whose windows it covers.
COMPONENT_STAGES = (
    ("ingest", ("example_gen",)),
    ("transform", ("transform",)),
    ("embeddings", ("domain_pretrainer", "text_embedder")),
    ("trainer (total)", ("trainer",)),
    ("evaluation", ("evaluator",)),
    ("validate + push", ("infra_validator", "pusher")),
)
# Protocol stage -> keys of the trainer's seconds_per_stage.
TRAINER_STAGES = (
    ("closed-form fits", ("fit", "refit")),
    ("training", ("pairs", "gate", "pairs_all_data")),
    ("export", ("export",)),
)
STAGE_ORDER = ([name for name, _ in COMPONENT_STAGES[:3]] + [name for name, _ in TRAINER_STAGES]
               + [name for name, _ in COMPONENT_STAGES[3:]]
               + ["batch scoring", "pipeline (end to end)"])
FLAG_EXPONENT = 1.15


def du_bytes(path: str) -> int:
    """Bytes of the files under `path` (a file's own size; 0 when missing)."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(folder, name))
            except OSError:
                pass
    return total


def component_sizes(pipeline_root: str) -> Dict[str, int]:
    """Bytes under `<root>/<component>/` per component folder (+ metadata.sqlite)."""
    if not os.path.isdir(pipeline_root):
        return {}
    return {name: du_bytes(os.path.join(pipeline_root, name))
            for name in sorted(os.listdir(pipeline_root))}


def pushed_model(serving_dir: str, model_name: str) -> Optional[Dict]:
    """Path and sizes of the newest pushed version, or None when nothing was pushed."""
    base = os.path.join(serving_dir, model_name)
    versions = sorted((int(v) for v in os.listdir(base) if v.isdigit()), reverse=True) \
        if os.path.isdir(base) else []
    if not versions:
        return None
    path = os.path.join(base, str(versions[0]))
    return {"path": path, "version": versions[0],
            "saved_model_pb_bytes": du_bytes(os.path.join(path, "saved_model.pb")),
            "variables_bytes": du_bytes(os.path.join(path, "variables")),
            "assets_bytes": du_bytes(os.path.join(path, "assets")), "total_bytes": du_bytes(path)}


def model_artifact(pipeline_root: str) -> Optional[str]:
    """The trainer's newest Model artifact folder (holds Format-Serving/, Format-Eval/)."""
    cards = glob.glob(os.path.join(pipeline_root, "trainer", "model", "*", "model_card.json"))
    return os.path.dirname(max(cards, key=os.path.getmtime)) if cards else None


def examples_uri(pipeline_root: str) -> Optional[str]:
    """example_gen's newest Examples artifact folder."""
    found = glob.glob(os.path.join(pipeline_root, "example_gen", "examples", "*", "Split-train"))
    return os.path.dirname(max(found, key=os.path.getmtime)) if found else None


def trainer_card(pipeline_root: str) -> Dict:
    """The parts of the trainer's model card this benchmark reports ({} when absent)."""
    folder = model_artifact(pipeline_root)
    if folder is None:
        return {}
    with open(os.path.join(folder, "model_card.json"), encoding="utf-8") as f:
        card = json.load(f)
    training = card.get("training", {})
    return {"seconds_per_stage": training.get("seconds_per_stage", {}),
            "seconds_total": training.get("seconds_total"),
            "examples_per_second": training.get("examples_per_second"),
            "eval": card.get("metrics", {}).get("eval", {}), "settings": card.get("settings", {}),
            "counts": card.get("counts", {})}


def stage_rows(components: List[Dict], card: Dict, sizes: Dict[str, int]) -> Dict[str, Dict]:
    """Protocol stage -> {"seconds", "peak_rss", "artifact_bytes", "components"}.

    Args:
        components: `monitor.parse_progress` windows with a "peak_rss" added to each.
        card: `trainer_card` output.
        sizes: `component_sizes` output.
    """
    by_name = {c["name"]: c for c in components}
    rows = {}
    for stage, names in COMPONENT_STAGES:
        found = [by_name[n] for n in names if n in by_name]
        if found:
            rows[stage] = {"seconds": round(sum(c["seconds"] or 0.0 for c in found), 1),
                           "peak_rss": max(c.get("peak_rss", 0) for c in found),
                           "rss_growth": max(max(0, c.get("peak_rss", 0)
                                                 - c.get("rss_at_start", 0)) for c in found),
                           "artifact_bytes": sum(sizes.get(n, 0) for n in names),
                           "components": [c["name"] for c in found],
                           "finished": all(c["finished"] for c in found)}
    per_stage = card.get("seconds_per_stage", {})
    trainer = rows.get("trainer (total)", {})
    for stage, keys in TRAINER_STAGES:
        if any(k in per_stage for k in keys):
            rows[stage] = {"seconds": round(sum(per_stage.get(k, 0.0) for k in keys), 1),
                           "peak_rss": trainer.get("peak_rss"),
                           "rss_growth": trainer.get("rss_growth"), "artifact_bytes": None,
                           "components": [f"trainer:{k}" for k in keys if k in per_stage],
                           "finished": True}
    return rows


def cost_exponent(sizes: Sequence[float], costs: Sequence[float]) -> Optional[float]:
    """Least-squares slope of log(cost) against log(size); None with < 2 usable points."""
    points = [(math.log(s), math.log(c)) for s, c in zip(sizes, costs)
              if s and c and s > 0 and c > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def exponents(results: Dict[str, Dict], sizes: Sequence[str]) -> Dict[str, Dict]:
    """Per stage: time and peak-RSS exponents against interactions over `sizes` present.

    Args:
        results: size name -> size result (with "interactions" and "stages").
        sizes: the size names to fit over (the protocol's S, M, L), in order.
    """
    present = [s for s in sizes if s in results and results[s].get("stages")]
    out = {}
    for stage in STAGE_ORDER:
        rows = [(s, results[s]["interactions"], results[s]["stages"].get(stage)) for s in present]
        rows = [(s, n, r) for s, n, r in rows if r and r.get("finished", True)]
        counts = [n for _, n, _ in rows]
        time_exp = cost_exponent(counts, [r["seconds"] for _, _, r in rows])
        rss_exp = cost_exponent(counts, [r.get("peak_rss") or 0 for _, _, r in rows])
        if time_exp is None:
            continue
        out[stage] = {"time": round(time_exp, 3),
                      "rss": None if rss_exp is None else round(rss_exp, 3),
                      "sizes": [s for s, _, _ in rows], "superlinear": time_exp > FLAG_EXPONENT}
    return out
