"""Robustness matrix: the default model on every shape of `shapes.py` against popularity,
item-kNN and EASE (its L2 chosen on a validation split carved from train), on a random 80/20
split (test pairs seen in train dropped), or with `--split time` on each user's latest 20%
(the pipeline's default split), same process.

    python -m bench.robustness.run --out bench/results/robustness.json [--shapes a,b] [--no-ease]
        [--config model_config.json] [--split random|time]

By default every shape of `shapes.SHAPES` and `shapes.REAL_LIKE_SHAPES`; `--shapes` also
takes the names of `shapes.LARGE_SHAPES` and of `movielens_shapes` (MovieLens-100K with real
data's traits, read from `--movielens DIR`), which are not run by default.

Item text is embedded with a hashed bag of words (deterministic, instant), so the content
agent sees word overlap but not BERT's semantics.
"""

import argparse
import hashlib
import json
import math
import os
import pathlib
import time
from typing import Dict, List

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TFRS needs Keras 2 (before TF loads)

import numpy as np  # noqa: E402

from bench.robustness import movielens_shapes  # noqa: E402
from bench.robustness import shapes as shape_lib  # noqa: E402

TEXT_DIM = 128


def hashed_text(texts: List[str], dim: int = TEXT_DIM) -> np.ndarray:
    """Sum of a fixed random vector per lower-cased word (seeded by the word's hash)."""
    out = np.zeros((len(texts), dim), np.float32)
    cache: Dict[str, np.ndarray] = {}
    for row, text in enumerate(texts):
        for word in text.lower().split():
            if word not in cache:
                seed = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                cache[word] = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
            out[row] += cache[word]
    return out


def split(shape, seed: int = 42, mode: str = "random"):
    """(train, test) Interactions: a random 80/20 split, or with `mode` "time" each user's
    latest 20% held out (as `recsys pipeline run`'s default; random for untimed shapes)."""
    from rec_model.interactions import Interactions

    if mode == "time" and shape.timestamp is not None:
        return Interactions(shape.user, shape.item, shape.num_users, shape.num_items,
                            shape.timestamp, shape.rating).split_latest_per_user(0.2, seed)
    n = shape.user.size
    order = np.random.default_rng(seed).permutation(n)
    cut = int(0.8 * n)
    pick = (lambda a, idx: None if a is None else a[idx])
    parts = [Interactions(shape.user[idx], shape.item[idx], shape.num_users, shape.num_items,
                          pick(shape.timestamp, idx), pick(shape.rating, idx))
             for idx in (order[:cut], order[cut:])]
    return parts[0], parts[1]


def item_knn_ndcg(model, train, test, k: int = 10, neighbours: int = 100) -> float:
    """Item-kNN (cosine, `neighbours` per item) NDCG@k on the users `evaluate` samples."""
    from rec_model.closed_forms.gram import pruned_gram
    from rec_model.evaluation import held_out_sets, ranking_metrics

    users, relevant = held_out_sets(model, test, 10000, 0)
    x = train.matrix(0.0)
    gram = pruned_gram(x, neighbours)
    d = np.sqrt(np.maximum(gram.diagonal, 1e-12))
    s = gram.entries.tocoo()
    import scipy.sparse as sp

    sim = sp.csr_matrix((s.data / d[s.row] / d[s.col], (s.row, s.col)), shape=s.shape)
    ids = _top_unseen(x, sim, users, k)
    return ranking_metrics(ids, users, relevant, (k,))[f"ndcg@{k}"]


def _top_unseen(x, weights, users: np.ndarray, k: int) -> np.ndarray:
    """[n, k] best items of x[users] @ weights (sparse or dense [items, items]), the users'
    own items of x left out."""
    import scipy.sparse as sp

    ids = np.zeros((users.size, k), np.int64)
    for start in range(0, users.size, 512):
        rows = x[users[start:start + 512]]
        scores = rows @ weights
        scores = scores.toarray() if sp.issparse(scores) else np.asarray(scores)
        scores[rows.nonzero()] = -np.inf
        ids[start:start + 512] = np.argsort(-scores, axis=1)[:, :k]
    return ids


EASE_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)  # x the mean item count
EASE_MAX_ITEMS = 20000  # a dense [items, items] B: a reference for small catalogues only


def _ease_weights(x, l2: float) -> np.ndarray:
    """EASE (Steck 2019) B [items, items] of the CSR matrix x, zero diagonal.

    P = (X'X + l2 I)^-1 comes from the Woodbury identity, P = (I - X'(XX' + l2 I)^-1 X) / l2,
    when there are fewer users than items: a [users, users] inverse instead of [items, items].
    """
    users, items = x.shape
    if users < items:
        dense = x.toarray().astype(np.float64)
        inner = np.linalg.inv(dense @ dense.T + l2 * np.eye(users))
        p = dense.T @ (inner @ dense)
        p *= -1.0 / l2
        p[np.diag_indices(items)] += 1.0 / l2
    else:
        p = np.linalg.inv((x.T @ x).toarray().astype(np.float64) + l2 * np.eye(items))
    p /= -np.diag(p).copy()  # B[i, j] = -P[i, j] / P[j, j], in place: B is [items, items]
    np.fill_diagonal(p, 0.0)
    return p


def ease_ndcg(model, train, test, k: int = 10, seed: int = 0) -> Dict:
    """EASE NDCG@k on the users `evaluate` samples, its L2 picked by NDCG@k on a random 20%
    of the training pairs (a validation split carved from train, never the test); "test_ids"
    [users, k] are its rankings of those users."""
    import scipy.sparse as sp

    from rec_model.evaluation import held_out_sets, ranking_metrics

    x = train.matrix(0.0)
    if x.shape[1] > EASE_MAX_ITEMS:
        return {"ndcg@10": float("nan"), "l2": None}
    pairs = x.tocoo()
    held = np.random.default_rng(seed).random(pairs.nnz) < 0.2
    fit = sp.csr_matrix((pairs.data[~held], (pairs.row[~held], pairs.col[~held])), x.shape)
    relevant = {}
    for u, i in zip(pairs.row[held].tolist(), pairs.col[held].tolist()):
        relevant.setdefault(u, set()).add(i)
    val_users = np.array(sorted(relevant)[:5000], np.int64)
    mean_count = float(np.asarray(fit.sum(axis=0)).mean())
    grid = {}
    for factor in EASE_GRID:
        ids = _top_unseen(fit, _ease_weights(fit, factor * mean_count), val_users, k)
        grid[factor * mean_count] = ranking_metrics(ids, val_users, relevant, (k,))[f"ndcg@{k}"]
    l2 = max(grid, key=grid.get)
    users, relevant = held_out_sets(model, test, 10000, 0)
    ids = _top_unseen(x, _ease_weights(x, l2), users, k)
    return {"ndcg@10": ranking_metrics(ids, users, relevant, (k,))[f"ndcg@{k}"], "l2": l2,
            "validation_ndcg@10": grid, "test_ids": ids}


def paired_difference(ids: np.ndarray, other_ids: np.ndarray, users: np.ndarray, relevant,
                      k: int = 10) -> Dict[str, float]:
    """Mean over `users` of NDCG@k of ranking `ids` minus that of `other_ids` (both [n, >= k],
    PAD < 0) and the 95% interval of that mean: the same users answer both, so the interval is
    much narrower than either NDCG's and says whether the two differ beyond the sample's
    noise."""
    from rec_model.ranking_metrics import ndcg_at_k
    from rec_model.sampled_metrics import mean_with_ci

    stats = mean_with_ci([ndcg_at_k(a[a >= 0], relevant[int(u)], k)
                          - ndcg_at_k(b[b >= 0], relevant[int(u)], k)
                          for a, b, u in zip(ids, other_ids, users)])
    return {"mean": stats.mean, "ci95": stats.half_width}


def all_shapes(movielens_dir: str = movielens_shapes.DEFAULT_DIR) -> Dict:
    """Every shape this bench knows, by name."""
    return {**shape_lib.SHAPES, **shape_lib.REAL_LIKE_SHAPES, **shape_lib.LARGE_SHAPES,
            **movielens_shapes.shapes(movielens_dir)}


def run_shape(name: str, config=None, with_ease: bool = False,
              movielens_dir: str = movielens_shapes.DEFAULT_DIR, split_mode: str = "random"
              ) -> Dict:
    from rec_model import recency
    from rec_model.config import ModelConfig
    from rec_model.evaluation import evaluate, held_out_sets, recommend_users
    from rec_model.trainer import train_multi_agent

    shape = all_shapes(movielens_dir)[name]()
    train, test = split(shape, mode=split_mode)
    in_time = recency.split_in_time(train, test)  # as the pipeline's trainer tells it
    start = time.perf_counter()
    result = train_multi_agent(config or ModelConfig(), train, hashed_text(shape.texts),
                               split_in_time=in_time)
    seconds = time.perf_counter() - start
    finite = all(math.isfinite(v) for row in result.epochs for k, v in row.items()
                 if isinstance(v, float))
    metrics = evaluate(result.model, test, ks=(10,), baseline_counts=train.item_counts())
    knn = item_knn_ndcg(result.model, train, test)
    ease = ease_ndcg(result.model, train, test) if with_ease else {"ndcg@10": float("nan")}
    if ease.get("test_ids") is not None:
        users, relevant = held_out_sets(result.model, test, 10000, 0)
        ease["model_minus_ease"] = paired_difference(
            recommend_users(result.model, users, 10)[0], ease.pop("test_ids"), users, relevant)
    return {"shape": name, "split": "time" if in_time else "random",
            "users": shape.num_users, "items": shape.num_items,
            "interactions": int(shape.user.size), "finite": finite, "seconds": seconds,
            "ndcg@10": metrics["ndcg@10"], "ndcg@10_ci95": metrics["ndcg@10_ci95"],
            "popularity_ndcg@10": metrics["popularity_ndcg@10"], "item_knn_ndcg@10": knn,
            "ease_ndcg@10": ease["ndcg@10"], "ease": ease,
            "agent_share": metrics["agent_share"], "alpha": result.final_alpha,
            "settings": result.settings, "users_evaluated": metrics["users"]}


def markdown(rows: List[Dict]) -> str:
    modes = sorted({r.get("split", "random") for r in rows})
    lines = [f"# Robustness matrix (defaults, {' / '.join(modes)} 80/20 split)", "",
             "| shape | users | items | interactions | finite | NDCG@10 | popularity | item-kNN |"
             " beats both | EASE | / EASE | model - EASE (paired) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        beats = r["ndcg@10"] > max(r["popularity_ndcg@10"], r["item_knn_ndcg@10"])
        lines.append(f"| {r['shape']} | {r['users']} | {r['items']} | {r['interactions']} | "
                     f"{r['finite']} | {r['ndcg@10']:.4f} ± {r['ndcg@10_ci95']:.4f} | "
                     f"{r['popularity_ndcg@10']:.4f} | {r['item_knn_ndcg@10']:.4f} | {beats} | "
                     f"{r.get('ease_ndcg@10', float('nan')):.4f} | "
                     f"{r['ndcg@10'] / r.get('ease_ndcg@10', float('nan')):.3f}x | "
                     f"{_paired(r)} |")
    return "\n".join(lines) + "\n"


def _paired(row: Dict) -> str:
    diff = row.get("ease", {}).get("model_minus_ease")
    return f"{diff['mean']:+.4f} ± {diff['ci95']:.4f}" if diff else "-"


def _config(parser, path):
    """The ModelConfig of the `--config` file (None: the defaults), as `recsys bench quality
    --config` reads it; a usage error names what is wrong."""
    if path is None:
        return None
    from rec_model.config import ModelConfig

    try:
        return ModelConfig.from_json(pathlib.Path(path).read_text())
    except (OSError, ValueError, TypeError) as err:  # JSONDecodeError is a ValueError
        parser.error(f"--config {path}: {err}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/results/robustness.json")
    parser.add_argument("--shapes", default=",".join([*shape_lib.SHAPES,
                                                      *shape_lib.REAL_LIKE_SHAPES]))
    parser.add_argument("--no-ease", action="store_true",
                        help=f"skip the EASE reference (a dense solve; skipped anyway above "
                             f"{EASE_MAX_ITEMS} items)")
    parser.add_argument("--movielens", default=movielens_shapes.DEFAULT_DIR,
                        help="raw MovieLens-100K folder of the ml100k_* shapes")
    parser.add_argument("--split", choices=("random", "time"), default="random",
                        help="time: each user's latest 20%% held out (timed shapes only)")
    parser.add_argument("--config", default=None,
                        help="ModelConfig JSON file: the fields it names (others default)")
    args = parser.parse_args(argv)
    config = _config(parser, args.config)
    names = args.shapes.split(",")
    unknown = sorted(set(names) - set(all_shapes(args.movielens)))
    if unknown:
        parser.error(f"unknown shapes {unknown}; known: {sorted(all_shapes(args.movielens))}")
    rows = []
    for name in names:
        rows.append(run_shape(name, config, with_ease=not args.no_ease,
                              movielens_dir=args.movielens, split_mode=args.split))
        print(json.dumps({k: v for k, v in rows[-1].items() if k not in ("settings",)}),
              flush=True)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    out.with_suffix(".md").write_text(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
