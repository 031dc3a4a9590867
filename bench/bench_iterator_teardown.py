"""Deleting a long-lived training iterator, with and without tf.data's autotuner.

The trainer's pair stage iterates `rec_model.trainer._pairs_dataset` for about a minute at
size S, then Keras frees the iterator. With the autotuner on, deleting it sometimes waits for
the autotuner's thread to wake from its current sleep, which has grown to tens of seconds by
then. Each round here iterates the dataset (S-sized random pairs, 1,024 per batch) for
`--seconds` with a 50 ms pause per batch (a training step), deletes the iterator and times
the deletion; rounds alternate the autotuner on (tf.data's default) and off (the trainer's
setting). The wait is a sleep, so machine load barely moves it.

    python bench/bench_iterator_teardown.py --seconds 55 --rounds 4
    -> bench/results/iterator_teardown.json and bench/results/iterator_teardown.md
"""

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from rec_model import trainer  # noqa: E402
from rec_model.interactions import Interactions  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def _one(data, tuned: bool, seconds: float) -> dict:
    ds = trainer._pairs_dataset(data, 1024, 0)
    if tuned:  # back to tf.data's default
        options = tf.data.Options()
        options.autotune.enabled = True
        ds = ds.with_options(options)
    iterator, start, batches = iter(ds), time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        next(iterator)
        batches += 1
        time.sleep(0.05)
    begin = time.perf_counter()
    del iterator
    return {"autotune": tuned, "batches": batches,
            "delete_s": round(time.perf_counter() - begin, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=55.0, help="iteration per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of (on, off)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n = 320_000  # size S's training pairs
    data = Interactions(rng.integers(0, 20_000, n), rng.integers(0, 5_000, n), 20_000, 5_000)
    load = [round(os.getloadavg()[0], 2)]
    rows = []
    for _ in range(args.rounds):
        for tuned in (True, False):
            rows.append(_one(data, tuned, args.seconds))
            print(rows[-1], flush=True)
    load.append(round(os.getloadavg()[0], 2))
    result = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "seconds": args.seconds, "load_average_1m": load, "rounds": rows}
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "iterator_teardown.json").write_text(json.dumps(result, indent=1))
    lines = ["# Deleting a long-lived training iterator (`bench/bench_iterator_teardown.py`)", "",
             f"{result['when']}; {args.rounds} rounds, each iterating for {args.seconds:g} s; "
             f"load average (1 min) {load[0]} before, {load[1]} after.", "",
             "| round | autotune | batches | delete s |", "|---|---|---|---|"]
    lines += [f"| {i // 2 + 1} | {'on' if r['autotune'] else 'off'} | {r['batches']} "
              f"| {r['delete_s']} |" for i, r in enumerate(rows)]
    for tuned in (True, False):
        waits = [r["delete_s"] for r in rows if r["autotune"] is tuned]
        lines.append(f"\nAutotune {'on' if tuned else 'off'}: deletion max {max(waits)} s, "
                     f"{sum(w > 5 for w in waits)} of {len(waits)} rounds over 5 s.")
    (out / "iterator_teardown.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
