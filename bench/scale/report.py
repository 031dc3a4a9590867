"""scale.json (raw, merged across runs of different sizes) and scale.md (the tables)."""

import contextlib
import fcntl
import json
import os
import time
from typing import Dict, List

from bench.scale import stages as stage_lib

PROTOCOL_SIZES = ("S", "M", "L")
SIZE_ORDER = ("XS", "S", "M", "L")


@contextlib.contextmanager
def locked(path: str):
    """Exclusive lock beside `path`: a background L run may finish while S or M write."""
    with open(path + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def merge(existing: Dict, sizes: Dict[str, Dict]) -> Dict:
    """`existing` with the given sizes replaced, exponents recomputed over S, M, L."""
    merged = {"protocol": "../shared/BENCHMARK.md, section Scale", "sizes": {}}
    merged["sizes"].update(existing.get("sizes", {}))
    merged["sizes"].update(sizes)
    merged["exponents"] = stage_lib.exponents(merged["sizes"], PROTOCOL_SIZES)
    merged["updated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return merged


def write(out_json: str, sizes: Dict[str, Dict]) -> Dict:
    """Merges `sizes` into `out_json` (created if missing) and rewrites the .md beside it."""
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    with locked(out_json):
        existing = {}
        if os.path.exists(out_json):
            with open(out_json, encoding="utf-8") as f:
                existing = json.load(f)
        merged = merge(existing, sizes)
        tmp = out_json + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(merged, f, indent=1)
        os.replace(tmp, out_json)
        with open(os.path.splitext(out_json)[0] + ".md", "w", encoding="utf-8") as f:
            f.write(markdown(merged))
    return merged


def _gib(n) -> str:
    return "" if not n else f"{n / 2**30:.2f}"


def _mib(n) -> str:
    return "" if n is None else f"{n / 2**20:.1f}"


def _num(v, fmt="{:.1f}") -> str:
    return "" if v is None else fmt.format(v)


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(r) + " |" for r in rows] + [""])


def _stage_tables(sizes: Dict, names: List[str], exps: Dict) -> List[str]:
    def cell(name, stage, key, fmt):
        row = sizes[name].get("stages", {}).get(stage)
        if not row:
            return ""
        text = fmt(row.get(key))
        return text if row.get("finished", True) else f"{text} (crashed)"

    out = ["## Wall time per stage (s)", ""]
    rows = [[stage] + [cell(n, stage, "seconds", _num) for n in names]
            + [_num(exps.get(stage, {}).get("time"), "{:.2f}"),
               "**> 1.15**" if exps.get(stage, {}).get("superlinear") else ""]
            for stage in stage_lib.STAGE_ORDER]
    out += _table(["stage"] + names + ["time exponent", "flag"], rows)
    out += ["## Peak RSS per stage (GiB, process tree; + growth during the stage)", ""]

    def rss(n, stage):
        row = sizes[n].get("stages", {}).get(stage) or {}
        growth = row.get("rss_growth")
        extra = "" if growth is None else f" (+{_gib(growth) or 0})"
        return cell(n, stage, "peak_rss", _gib) + extra

    rows = [[stage] + [rss(n, stage) for n in names]
            + [_num(exps.get(stage, {}).get("rss"), "{:.2f}")] for stage in stage_lib.STAGE_ORDER]
    out += _table(["stage"] + names + ["RSS exponent"], rows)
    out += ["The pipeline runs every component in one process (LocalDagRunner), so a stage's "
            "peak includes memory kept from earlier stages; the growth in brackets is peak minus "
            "the RSS when the stage started.", ""]
    out += ["## Artifact size (MiB)", ""]
    comps = sorted({c for n in names for c in sizes[n].get("artifacts", {})})
    rows = [[c] + [_mib(sizes[n].get("artifacts", {}).get(c)) for n in names] for c in comps]
    for key, label in (("saved_model_pb_bytes", "pushed saved_model.pb"),
                       ("variables_bytes", "pushed variables/"),
                       ("assets_bytes", "pushed assets/")):
        rows.append([label] + [_mib((sizes[n].get("pushed_model") or {}).get(key)) for n in names])
    return out + _table(["folder"] + names, rows)


def _quality(sizes: Dict, names: List[str]) -> List[str]:
    rows = []
    for n in names:
        q = sizes[n].get("quality") or {}
        if not q.get("ok"):
            rows.append([n, "failed" if q else "not run"] + [""] * 5)
            continue
        m, p, k = q["model"], q["popularity"], q["item_knn"]
        rows.append([n, str(q["users_scored"]), f"{m['ndcg@10']:.4f} ± {m['ndcg@10_ci95']:.4f}",
                     f"{p['ndcg@10']:.4f}", f"{k['ndcg@10']:.4f}",
                     f"{m['ndcg@10'] / max(k['ndcg@10'], 1e-9):.2f}",
                     f"{q['seconds']['item_knn_build']:.0f} / {_gib(q.get('peak_rss'))}"])
    return ["## Quality (NDCG@10, random 80/20 split, same users for all three)", ""] + _table(
        ["size", "users", "model", "popularity", "item-kNN (100 nn)", "model / kNN",
         "kNN build s / bench RSS GiB"], rows)


def _serving(sizes: Dict, names: List[str]) -> List[str]:
    rows = []
    for n in names:
        s = sizes[n].get("serving") or {}
        if not s.get("ok"):
            if s:
                rows.append([n, "failed"] + [""] * 10)
            continue
        for r in s["rows"]:
            sv, fl, md = r["server"], r["floor"], r["in_process_model"]
            target = s.get("target") or {}
            met = "" if r["clients"] != 4 else f"{'yes' if target.get('met') else 'NO'} " \
                f"(<= {target.get('bound_ms')} ms)"
            rows.append([n, f"{s['items']:,}", str(r["clients"]),
                         f"{sv['p50_ms']} / {sv['p99_ms']}",
                         str(sv["throughput_rps"]), str(sv["errors"]),
                         f"{fl['p50_ms']} / {fl['p99_ms']}", f"{md['p50_ms']} / {md['p99_ms']}",
                         str(r["server_p99_over_floor"]), str(r["model_p99_over_floor"]), met,
                         f"{s['server_ready_seconds']} / {_gib(s['server_peak_rss'])}"])
    return ["## Serving `recommend` (k=10, 1 user per request)", ""] + _table(
        ["size", "items", "clients", "server p50 / p99 ms", "req/s", "errors", "floor p50 / p99",
         "model in-process p50 / p99", "server p99 / floor", "model p99 / floor", "target",
         "server ready s / RSS GiB"], rows) + [
        "Floor: the protocol's stand-in SavedModel (id lookup, 64-d brute force, top-10 over the "
        "same number of items) called in the bench process by as many threads as clients. Target "
        "(4 clients): p99 <= max(3 x floor p99, 10 ms), 0 errors.", ""]


def _batch(sizes: Dict, names: List[str]) -> List[str]:
    rows = []
    for n in names:
        b = sizes[n].get("batch")
        if not b:
            continue
        bs, lp = b.get("batch_score", {}), b.get("plain_loop", {})
        rows.append([n, str(b.get("users")),
                     f"{bs.get('seconds')} ({bs.get('users_per_s')}/s, rc {bs.get('returncode')})",
                     f"{lp.get('seconds')} ({lp.get('users_per_s')}/s, rc {lp.get('returncode')})",
                     str(b.get("ratio_vs_loop", "")),
                     f"{_gib(bs.get('peak_rss'))} / {_gib(lp.get('peak_rss'))}"])
    return ["## Batch scoring (k=10, seen items excluded)", ""] + _table(
        ["size", "users", "recsys batch-score s", "plain loop s", "batch-score speed / loop",
         "RSS GiB (batch-score / loop)"], rows) + [
        "Both are child processes (start-up and model load included) on the pushed "
        "SavedModel.", ""]


def _runs(sizes: Dict, names: List[str]) -> List[str]:
    rows = []
    for n in names:
        s = sizes[n]
        p = s.get("pipeline", {})
        load = p.get("load") or {}
        problems = "; ".join(s.get("problems", [])) or "none"
        rows.append([n, f"{s['spec']['users']:,} / {s['spec']['items']:,} / {s['interactions']:,}",
                     s.get("when", ""), f"{load.get('mean')} / {load.get('max')}",
                     s.get("uptime_before", ""), problems])
    return ["## Runs", ""] + _table(
        ["size", "users / items / interactions", "when", "load 1-min mean / max (pipeline)",
         "uptime before", "problems"], rows)


def markdown(result: Dict) -> str:
    sizes = result.get("sizes", {})
    names = [n for n in SIZE_ORDER if n in sizes] + sorted(set(sizes) - set(SIZE_ORDER))
    commands = sorted({sizes[n].get("command", "") for n in names})
    lines = ["# Scale benchmark", "",
             "Protocol: `../shared/BENCHMARK.md`, section Scale (synthetic data from "
             "`recsys data synth`, the whole pipeline run by `recsys pipeline run --split-mode "
             "random --eval-fraction 0.2 --pretrain off`). Produced by `make bench-scale` "
             "(`bench/scale/run.py`); raw numbers in `scale.json`. The machine is shared: read "
             "the load column before comparing sizes.", "",
             "Commands: " + "; ".join(f"`{c}`" for c in commands if c), "",
             f"Updated {result.get('updated', '')}.", ""]
    lines += _stage_tables(sizes, names, result.get("exponents", {}))
    lines += ["Cost exponent: least-squares slope of log(wall time) (or log peak RSS) against "
              "log(interactions) over the protocol sizes present (S, M, L); flagged above 1.15. "
              "The trainer's sub-stages (closed-form fits = fit + refit, training = pairs + gate, "
              "export = both SavedModels + the refit on all data) are timed by the trainer "
              "(model card); their RSS is the trainer component's peak.", ""]
    for section in (_quality, _serving, _batch, _runs):
        lines += section(sizes, names)
    return "\n".join(lines)
