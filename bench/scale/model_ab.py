"""Two exports of one model on the same `recommend` batches, alternated in one process.

    python -m bench.scale.model_ab --a <SavedModel> --b <SavedModel> --data <canonical folder> \\
        --out bench/results/F.json [--users 4096 --batch 1024 --rounds 3]

For a change of the serving graph (the weights unchanged: export the same trained model twice,
e.g. with `bench.scale.reexport`): both SavedModels are loaded as the model server loads them
(`serving.servable.Servable`, one Session each) and called on the same seeded known users in
batches, with each user's seen items of `--data` as `exclude` (what `recsys batch-score`
sends). It first checks that both give the same answers (ids and attributions equal, scores
within float tolerance), then times A and B alternately (order swapped every round) and
reports the median wall and CPU seconds of each and B over A.
"""

import argparse
import json
import time

import numpy as np

from bench.scale.serving import sample_users
from rec_model import features as F


def request(users, seen: dict, k: int) -> dict:
    """One `recommend` batch: the users, k, no request history, their seen items excluded."""
    from components.batch_scorer.loaded_model import pad

    return {F.USER_ID: np.array([u.encode() for u in users], object), F.K: np.int32(k),
            F.HISTORY: np.full((len(users), 1), b"", object),
            F.EXCLUDE: pad([sorted(set(seen.get(u, ()))) for u in users])}


def same_answers(a: list, b: list) -> bool:
    """Whether two lists of output dicts agree (floats within np.allclose's tolerance)."""
    for x, y in zip(a, b):
        for key, value in x.items():
            other = y[key]
            if value.dtype.kind == "f":
                if not np.allclose(value, other, equal_nan=True):
                    return False
            elif not np.array_equal(value, other):
                return False
    return True


def run(a: str, b: str, data_dir: str, n_users: int = 4096, batch: int = 1024, k: int = 10,
        rounds: int = 3, seed: int = 1) -> dict:
    """See the module docstring."""
    from bench.bench_batch_scoring import seen_of
    from serving.servable import Servable

    users = sample_users(a, n_users, seed)
    seen = seen_of(data_dir, users)
    batches = [request(users[s:s + batch], seen, k) for s in range(0, len(users), batch)]
    models = {"a": Servable("a", 1, a), "b": Servable("b", 1, b)}
    answers = {name: [m.run(F.SIGNATURE_RECOMMEND, x) for x in batches]
               for name, m in models.items()}
    times = {"a": [], "b": []}
    for index in range(rounds):
        for name in ("a", "b") if index % 2 == 0 else ("b", "a"):
            cpu, wall = time.process_time(), time.perf_counter()
            for x in batches:
                models[name].run(F.SIGNATURE_RECOMMEND, x)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    # Ratios come from the unrounded medians: a small run's times round to 0 ms.
    raw = {name: [float(np.median([t[i] for t in ts])) for i in (0, 1)]
           for name, ts in times.items()}
    median = {name: {"wall_s": round(w, 6), "cpu_s": round(c, 6)} for name, (w, c) in raw.items()}
    ratio = [raw["b"][i] / max(raw["a"][i], 1e-9) for i in (0, 1)]
    return {"a": a, "b": b, "users": len(users), "batch": batch, "k": k, "rounds": rounds,
            "same_answers": same_answers(answers["a"], answers["b"]), "median": median,
            "per_round": {name: [[round(w, 6), round(c, 6)] for w, c in ts]
                          for name, ts in times.items()},
            "b_over_a": {"wall": round(ratio[0], 3), "cpu": round(ratio[1], 3)}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="baseline SavedModel folder")
    parser.add_argument("--b", required=True, help="SavedModel folder compared with it")
    parser.add_argument("--data", required=True, help="canonical folder: seen items to exclude")
    parser.add_argument("--out", required=True)
    parser.add_argument("--users", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    result = run(args.a, args.b, args.data, args.users, args.batch, rounds=args.rounds)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: result[k] for k in ("same_answers", "median", "b_over_a")}), flush=True)
    return 0 if result["same_answers"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
