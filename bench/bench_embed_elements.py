"""Items per second of the text embedder's Beam job by forward passes per Beam element.

    .venv/bin/python bench/bench_embed_elements.py --items DATA/items.csv [--limit 10000]
        [--elements 1,8] [--repeats 2] [--out bench/results/embed_elements.json]

Runs the pipeline's embedding job (`beam_embed.EmbedItemsFile`, as the text_embedder's
executor does, on Beam's default local runner) over the first `--limit` items of a canonical
items.csv, once per setting of `batches_per_element` in each round, settings alternated.
Reports items per second of wall and of process CPU (model load in each run's worker
included, the same for every setting), the ratio of each setting against the first one per
round (median over rounds) and the largest difference between the vectors of the settings.
Writes JSON and a short .md beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench import machine  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "embed_elements.json"


def run_job(items_path: str, batches_per_element: int, out_dir: str) -> dict:
    """One embedding job; wall and CPU seconds."""
    import apache_beam as beam
    from components.text_embedder import beam_embed, embed_items, item_texts
    from components.text_embedder.backbones import validate_backbone
    from components.text_embedder.config import EmbedderConfig

    config, preset = EmbedderConfig(), validate_backbone(None, None)
    metadata = embed_items.build_metadata(config, preset, item_texts.load_item_texts(items_path),
                                          [], 0, items_path)
    wall, cpu = time.perf_counter(), machine.cpu_seconds()
    with beam.Pipeline() as pipeline:
        _ = pipeline | beam_embed.EmbedItemsFile(items_path, preset, config, out_dir, metadata,
                                                 batches_per_element=batches_per_element)
    return {"wall": time.perf_counter() - wall, "cpu": machine.cpu_seconds() - cpu}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", required=True, help="a canonical items.csv")
    parser.add_argument("--limit", type=int, default=10000, help="first N items (0 = all)")
    parser.add_argument("--elements", default="1,8", help="batches_per_element settings")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    import numpy as np
    from rec_model.item_embeddings import load_item_embeddings

    settings = [int(s) for s in args.elements.split(",")]
    work = tempfile.mkdtemp(prefix="embed_elements_")
    items = os.path.join(work, "items.csv")
    with open(args.items, encoding="utf-8") as src, open(items, "w", encoding="utf-8") as dst:
        for line_number, line in enumerate(src):
            if args.limit and line_number > args.limit:
                break
            dst.write(line)
    runs = {s: [] for s in settings}
    vectors = {}
    load = [os.getloadavg()[0]]
    for round_index in range(args.repeats):
        for setting in settings:
            out_dir = os.path.join(work, f"r{round_index}_e{setting}")
            runs[setting].append(run_job(items, setting, out_dir))
            if setting not in vectors:  # every round writes the same vectors: read one
                vectors[setting] = load_item_embeddings(out_dir)[1]
            load.append(os.getloadavg()[0])
    count = len(vectors[settings[0]])
    first = settings[0]
    result = {
        "command": "python bench/bench_embed_elements.py " + " ".join(sys.argv[1:]),
        "machine": machine.describe(),
        "load_1min": [round(x, 2) for x in load], "items": count,
        "settings": {
            str(s): {
                "items_per_second": [round(count / r["wall"], 1) for r in runs[s]],
                "items_per_cpu_second": [round(count / r["cpu"], 1) for r in runs[s]],
                "ratio_wall": round(statistics.median(
                    a["wall"] / b["wall"] for a, b in zip(runs[first], runs[s])), 3),
                "ratio_cpu": round(statistics.median(
                    a["cpu"] / b["cpu"] for a, b in zip(runs[first], runs[s])), 3),
                "max_abs_diff": float(np.abs(vectors[s] - vectors[first]).max()),
            } for s in settings},
    }
    out = pathlib.Path(args.out)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_markdown(result, out.with_suffix(".md"))
    print(out.with_suffix(".md").read_text(encoding="utf-8"))
    return 0


def write_markdown(result: dict, path: pathlib.Path) -> None:
    lines = ["# Text embedder's Beam job: forward passes per element", "",
             f"Command: `{result['command']}`  ",
             f"Machine: {result['machine']}; load (1-min average) {result['load_1min']}  ",
             f"Items: {result['items']:,} (model load in each run included)", "",
             "| batches per element | items/s (wall) per round | items/CPU-s per round "
             "| wall ratio | CPU ratio | max abs diff of vectors |",
             "|---|---|---|---|---|---|"]
    for setting, row in result["settings"].items():
        lines.append(f"| {setting} | {row['items_per_second']} | {row['items_per_cpu_second']} "
                     f"| {row['ratio_wall']} | {row['ratio_cpu']} | {row['max_abs_diff']:.1e} |")
    lines += ["", "Ratios: the first setting's seconds over this one's, per round, median "
              "(> 1: faster)."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
