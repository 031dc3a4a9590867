"""The trainer's validation ranking (`auto_settings.Validation.ndcg`) at a large catalogue.

Every setting the closed forms try (the item-item agent's L2 grid, the spectral agent's
ranks) ranks up to `DENSE_SCORE_BUDGET` users x items cells of float32 scores. The baseline
widens them to float64 before the partial sort (the code before this benchmark's commit); the
candidate keeps float32. Both run in this process on the same rank-`--rank` float32 scores
of a synthetic [users, items] validation slice, alternated `--rounds` times; the per-user
NDCG@20 of both is compared.

    python bench/bench_validation_ndcg.py --users 20000 --items 100000 --out NAME
        -> bench/results/NAME.json (validation_ndcg_L.md is written by hand from it)
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"


def _validation(users: int, items: int, per_user: int, seed: int):
    from rec_model.auto_settings import Validation  # pylint: disable=import-outside-toplevel

    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 0.8
    popularity /= popularity.sum()
    rows = np.repeat(np.arange(users), per_user)
    cols = rng.choice(items, rows.size, p=popularity)
    held = rng.random(rows.size) < 0.2
    matrix = lambda keep: sp.csr_matrix(  # noqa: E731
        (np.ones(int(keep.sum()), np.float32), (rows[keep], cols[keep])), shape=(users, items))
    source, target = matrix(~held), matrix(held)
    target = (target - target.multiply(source > 0)).tocsr()
    target.eliminate_zeros()
    target.data[:] = 1.0
    return Validation(np.arange(users), source, target)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--items", type=int, default=100000)
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="validation_ndcg")
    args = parser.parse_args(argv)
    from rec_model import auto_settings  # pylint: disable=import-outside-toplevel

    validation = _validation(args.users, args.items, 20, 0)
    rng = np.random.default_rng(1)
    right = rng.standard_normal((args.items, args.rank)).astype(np.float32)
    float32_scores = lambda src: (src @ right) @ right.T  # noqa: E731
    float64_scores = lambda src: np.asarray(float32_scores(src), np.float64)  # noqa: E731
    load_before = os.getloadavg()[0]
    times = {"float64 (before)": [], "float32": []}
    values = {}
    for _ in range(args.rounds):
        for name, scores in zip(times, (float64_scores, float32_scores)):
            start = time.perf_counter()
            values[name] = validation.ndcg_per_user(scores)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    first, second = values.values()
    result = {"users": args.users, "items": args.items, "rank": args.rank,
              "scored_users": int(first.size), "budget": auto_settings.DENSE_SCORE_BUDGET,
              "seconds": times, "median_seconds": median,
              "speedup": median["float64 (before)"] / median["float32"],
              "same_ndcg_per_user": bool(np.array_equal(first, second)),
              "users_differing": int((first != second).sum()),
              "mean_ndcg": {name: float(v.mean()) for name, v in values.items()},
              "load_before": load_before, "load_after": os.getloadavg()[0],
              "command": "python bench/bench_validation_ndcg.py " + " ".join(sys.argv[1:])}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
