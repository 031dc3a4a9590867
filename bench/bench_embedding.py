"""Speed of the "large model" stage: item embedding throughput and MLM pre-training time.

    .venv/bin/python bench/bench_embedding.py [--data ../shared/datasets/movielens-100k]
        [--batch-sizes 16,32,64,128] [--sequence-length 64] [--repeats 2] [--pretrain-epochs 2]
        [--pretrain-texts 0] [--out bench/results/embedding.json]

Embeds every MovieLens-100K item text (title + genres, via the canonical items.csv; synthetic
texts when the data is absent) with the bundled all-MiniLM-L6-v2 once per batch size, after
one untimed warm-up pass, and reports items/second (wall and per process-CPU second) and the
ratio against batch size 16 measured in the same run. Then pre-trains the backbone on the same
texts (held-out 10%) and reports seconds per epoch (the first epoch includes tracing). Writes
JSON and a short .md.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench import machine  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "datasets" / "movielens-100k"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "embedding.json"


def item_texts(data_dir: pathlib.Path) -> tuple[list[str], str]:
    """MovieLens item texts through the canonical reader, or synthetic ones."""
    from components.text_embedder.item_texts import load_item_texts
    from rec_model.data.movielens import prepare_movielens_100k

    if (data_dir / "u.item").exists():
        with tempfile.TemporaryDirectory() as tmp:
            prepare_movielens_100k(str(data_dir), tmp)
            return (load_item_texts(os.path.join(tmp, "items.csv")).texts,
                    "movielens-100k items.csv")
    words = ["Night", "Love", "Return", "Dark", "City", "Star", "Last", "Secret", "River", "King"]
    genres = ["Action", "Comedy", "Drama", "Horror", "Romance", "Thriller"]
    texts = [f"{words[i % 10]} {words[i // 10 % 10]} ({1950 + i % 50}). "
             f"{genres[i % 6]}, {genres[i // 6 % 6]}"
             for i in range(1682)]
    return texts, "synthetic (MovieLens not found)"


def bench_embedding(texts, batch_sizes, sequence_length, repeats) -> dict:
    """Best of `repeats` interleaved rounds per batch size: wall and process-CPU seconds."""
    from components.text_embedder.embedder import TextEmbedder

    start = time.perf_counter()
    embedder = TextEmbedder(sequence_length=sequence_length)
    load_seconds = time.perf_counter() - start
    embedder.embed(texts[: max(batch_sizes)], batch_size=max(batch_sizes))  # Warm-up / trace.
    best = {b: (float("inf"), float("inf")) for b in batch_sizes}
    for _ in range(repeats):
        for batch_size in batch_sizes:
            wall, cpu = time.perf_counter(), time.process_time()
            embedder.embed(texts, batch_size=batch_size)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[batch_size] = (min(best[batch_size][0], wall), min(best[batch_size][1], cpu))
    rows = [{"batch_size": b, "seconds": best[b][0], "items_per_second": len(texts) / best[b][0],
             "cpu_seconds": best[b][1], "items_per_cpu_second": len(texts) / best[b][1]}
            for b in batch_sizes]
    for row in rows:
        row["ratio_vs_first"] = row["items_per_second"] / rows[0]["items_per_second"]
        row["cpu_ratio_vs_first"] = row["items_per_cpu_second"] / rows[0]["items_per_cpu_second"]
    return {"load_seconds": load_seconds, "backbone": embedder.preset, "dim": embedder.dim,
            "repeats": repeats, "rows": rows}


def bench_pretraining(texts, epochs, sequence_length) -> dict:
    from components.domain_pretrainer.config import PretrainerConfig
    from components.domain_pretrainer.pretrainer import pretrain

    with tempfile.TemporaryDirectory() as tmp:
        metrics = pretrain(texts, tmp,
                           PretrainerConfig(epochs=epochs, sequence_length=sequence_length))
    keys = ("loss_before", "loss_after", "accuracy_before", "accuracy_after", "epoch_seconds",
            "epoch_cpu_seconds", "seconds_per_epoch", "train_texts", "validation_texts")
    out = {k: metrics[k] for k in keys}
    out["sequence_length"] = sequence_length
    out["batch_size"] = metrics["config"]["batch_size"]
    out["learning_rate"] = metrics["config"]["learning_rate"]
    return out


def write_markdown(result: dict, path: pathlib.Path) -> None:
    e, p = result["embedding"], result["pretraining"]
    lines = [
        "# Embedding benchmark",
        "",
        f"{result['n_texts']} texts ({result['texts']}), "
        f"backbone all-MiniLM-L6-v2 ({e['dim']}-d), "
        f"sequence length {result['sequence_length']}, {result['machine']}, "
        f"load (1-min average) {result['load_1min']}. "
        f"Model load {e['load_seconds']:.1f} s.",
        "",
        f"Best of {e['repeats']} interleaved rounds; the machine is shared, so CPU-time "
        "throughput (items per process-CPU second) is the steadier figure.",
        "",
        "| batch size | items/s (wall) | ratio | items/CPU-s | ratio |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r['batch_size']} | {r['items_per_second']:.1f} | {r['ratio_vs_first']:.2f} | "
              f"{r['items_per_cpu_second']:.1f} | {r['cpu_ratio_vs_first']:.2f} |"
              for r in e["rows"]]
    if p:
        epochs = ", ".join(f"{s:.1f}" for s in p["epoch_seconds"])
        cpu = ", ".join(f"{s:.1f}" for s in p["epoch_cpu_seconds"])
        lines += [
            "",
            f"MLM pre-training: {p['train_texts']} train / {p['validation_texts']} held-out "
            f"texts, sequence length {p['sequence_length']}, batch {p['batch_size']}: wall "
            f"seconds per epoch {epochs}, process-CPU seconds {cpu} (first includes tracing); "
            f"held-out MLM loss {p['loss_before']:.3f} -> {p['loss_after']:.3f}, masked-token "
            f"accuracy {p['accuracy_before']:.3f} -> {p['accuracy_after']:.3f}.",
        ]
    lines += ["", f"Command: `{result['command']}`", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--batch-sizes", default="16,32,64,128")
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2,
                        help="interleaved rounds per batch size (best kept)")
    parser.add_argument("--pretrain-epochs", type=int, default=2, help="0 skips pre-training")
    parser.add_argument("--pretrain-sequence-length", type=int, default=32)
    parser.add_argument("--pretrain-texts", type=int, default=0,
                        help="use only the first N texts (0: all)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    texts, source = item_texts(pathlib.Path(args.data))
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    result = {
        "texts": source,
        "n_texts": len(texts),
        "sequence_length": args.sequence_length,
        "machine": machine.describe(),
        "load_1min": round(os.getloadavg()[0], 2),
        "command": "python bench/bench_embedding.py "
                   + " ".join(argv if argv is not None else sys.argv[1:]),
        "embedding": bench_embedding(texts, batch_sizes, args.sequence_length, args.repeats),
        "pretraining": None,
    }
    if args.pretrain_epochs:
        subset = texts[: args.pretrain_texts] if args.pretrain_texts else texts
        result["pretraining"] = bench_pretraining(subset, args.pretrain_epochs,
                                                  args.pretrain_sequence_length)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    write_markdown(result, out.with_suffix(".md"))
    print(out.with_suffix(".md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
