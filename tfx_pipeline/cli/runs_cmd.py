"""`recsys runs list|show`: pipeline runs and their lineage from ML Metadata.

    recsys runs list --pipeline-root out/pipeline
    recsys runs show latest --pipeline-root out/pipeline        # or a run id / unique prefix
    recsys runs show 2026-11-27T20:07 --metadata out/pipeline/metadata.sqlite --json
"""

import datetime
import json


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", required=True)
    list_ = sub.add_parser("list", help="every pipeline run with time, state and duration")
    show = sub.add_parser("show",
                          help="one run: components, artifacts, metrics, blessings, pushes")
    show.add_argument("run", help="run id (see `runs list`), a unique prefix, a 1-based index, "
                                  "or `latest`")
    for p in (list_, show):
        p.add_argument("--pipeline-root", default=None, help="reads <DIR>/metadata.sqlite")
        p.add_argument("--metadata", default=None, help="path of an ML Metadata SQLite file")
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _time(seconds) -> str:
    if not seconds:
        return "-"
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S")


def _duration(seconds) -> str:
    return "-" if seconds is None else f"{seconds:.1f}s"


def _props(props: dict, limit: int = 8) -> str:
    shown = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
             for k, v in list(props.items())[:limit]]
    return ", ".join(shown) + (" ..." if len(props) > limit else "")


def print_runs(runs) -> None:
    print(f"{'RUN':<28} {'PIPELINE':<12} {'STARTED (UTC)':<20} {'STATE':<9} "
          f"{'DURATION':>9} COMPONENTS")
    for r in runs:
        print(f"{r['run_id']:<28} {r['pipeline']:<12} {_time(r['start']):<20} {r['state']:<9} "
              f"{_duration(r['duration_s']):>9} {r['n_components']} ({r['n_cached']} cached)")


def print_run(run) -> None:
    print(f"run {run['run_id']} of pipeline {run['pipeline']}: {run['state']}, "
          f"started {_time(run['start'])} UTC, {_duration(run['duration_s'])}")
    for c in run["components"]:
        print(f"\n  {c['node_id']} [{c['state']}] {_duration(c['duration_s'])}  "
              f"({c['type']}, execution {c['execution_id']})")
        for direction in ("inputs", "outputs"):
            for a in c[direction]:
                arrow = "<-" if direction == "inputs" else "->"
                print(f"    {arrow} {a['key']}: {a['type']} {a['uri']}")
                if a["properties"]:
                    print(f"         {_props(a['properties'])}")
    for b in run["blessings"]:
        print(f"\n  {b['type']} by {b['component']}: "
              f"{'BLESSED' if b['blessed'] else 'NOT blessed'}  {b['message']}")
    for p in run["pushes"]:
        what = (f"pushed version {p['version']} to {p['destination']}" if p["pushed"]
                else "not pushed")
        print(f"  push by {p['component']}: {what}  {p['message']}")


def run(args) -> int:
    from tfx_pipeline import runs

    try:
        reader = runs.MetadataReader(runs.connection_config(args.pipeline_root, args.metadata))
    except (FileNotFoundError, ValueError) as e:
        print(f"recsys runs: {e}")
        return 2
    if args.action == "list":
        found = reader.list_runs()
        if args.json:
            print(json.dumps(found, indent=2))
        elif not found:
            print("no pipeline runs recorded yet")
        else:
            print_runs(found)
        return 0
    try:
        details = reader.show(args.run)
    except KeyError as e:
        print(f"recsys runs show: {e.args[0]}")
        return 2
    if args.json:
        print(json.dumps(details, indent=2))
    else:
        print_run(details)
    return 0
