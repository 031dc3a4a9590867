"""Reading an Examples split: `components.common.read_record_batches` against `tf.data`.

The trainer and the evaluator read whole splits of example_gen's gzipped tf.Example TFRecords
into arrays. The baseline is the `tf.data` reader they used before
(`TFRecordDataset(files, "GZIP").batch(65536)` then `tf.io.parse_example`), which transform
and batch scoring's seen-items filter still use; the candidate is
`common.read_record_batches` per file, parsed the same way. Both run in this process,
alternated, `--rounds` times; the parsed user ids, item ids and timestamps are hashed to show
both read the same rows in the same order.

    python bench/bench_examples_read.py --examples <root>/example_gen/examples/1 --out NAME
        -> bench/results/NAME.{json,md}
"""

import argparse
import hashlib
import json
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _spec(tf, features):
    return {features.USER_ID: tf.io.FixedLenFeature([], tf.string),
            features.ITEM_ID: tf.io.FixedLenFeature([], tf.string),
            features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64, default_value=0)}


def _read(reader: str, files, digests) -> tuple:
    """(rows, seconds) of one reader over `files`; feeds each parsed column to its digest
    (one per column: the readers' batches differ at file boundaries)."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    from components import common  # pylint: disable=import-outside-toplevel
    from rec_model import features  # pylint: disable=import-outside-toplevel

    spec, batch = _spec(tf, features), common.PARSE_BATCH_ROWS
    start, rows = time.perf_counter(), 0
    if reader == "tf_data":
        batches = tf.data.TFRecordDataset(files, compression_type="GZIP").batch(batch)
    else:
        batches = (records for path in files
                   for records in common.read_record_batches(path, batch))
    for records in batches:
        parsed = tf.io.parse_example(records, spec)
        columns = [parsed[key].numpy() for key in spec]
        rows += len(columns[0])
        for digest, column in zip(digests, columns):
            digest.update(b"\n".join(column) + b"\n" if column.dtype == object
                          else column.tobytes())
    return rows, time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", required=True, help="an Examples artifact folder")
    parser.add_argument("--splits", default="train,eval")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="examples_read")
    args = parser.parse_args(argv)
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    files = sorted(f for split in args.splits.split(",") for f in tf.io.gfile.glob(
        os.path.join(args.examples, f"Split-{split}", "*")))
    load_before = os.getloadavg()[0]
    times = {"tf_data": [], "read_record_batches": []}
    digests, rows = {}, {}
    for _ in range(args.rounds):
        for reader, seconds in times.items():
            columns = [hashlib.sha256() for _ in range(3)]
            rows[reader], took = _read(reader, files, columns)
            seconds.append(took)
            digests[reader] = [digest.hexdigest() for digest in columns]
    median = {reader: statistics.median(s) for reader, s in times.items()}
    result = {"examples": args.examples, "files": len(files), "rows": rows,
              "seconds": times, "median_seconds": median,
              "speedup": median["tf_data"] / median["read_record_batches"],
              "same_rows_same_order": len({tuple(d) for d in digests.values()}) == 1,
              "load_before": load_before, "load_after": os.getloadavg()[0],
              "machine": machine.describe(),
              "command": "python bench/bench_examples_read.py " + " ".join(sys.argv[1:])}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(_markdown(result))
    print(_markdown(result))
    return result


def _markdown(result: dict) -> str:
    rows = result["rows"]["read_record_batches"]
    lines = [f"# Reading an Examples artifact ({result['files']} files, {rows:,} rows)", "",
             f"`{result['command']}`; load {result['load_before']:.2f} before, "
             f"{result['load_after']:.2f} after; {result['machine']}.", "",
             "| reader | seconds per round | median | rows/s |", "|---|---|---|---|"]
    for reader, seconds in result["seconds"].items():
        median = result["median_seconds"][reader]
        lines.append(f"| {reader} | {', '.join(f'{s:.1f}' for s in seconds)} | {median:.1f} | "
                     f"{rows / median:,.0f} |")
    lines += ["", f"Speed-up of `read_record_batches` over `tf_data`: "
              f"{result['speedup']:.2f}x; same rows in the same order: "
              f"{result['same_rows_same_order']}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
