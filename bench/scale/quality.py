"""NDCG@10 of the pipeline's model, popularity and item-kNN on the same random test users.

    python -m bench.scale.quality --examples <Examples uri> --model <Model uri> --out q.json

Reads the pipeline's own random 80/20 split (example_gen's Split-train / Split-eval), drops
test pairs that also occur in train, samples up to `--max-users` test users (seeded) and
scores, on exactly those users, with the user's train items excluded and full ranking:
- the trained model through its `recommend` signature. The Model artifact's `Format-Eval/`
  SavedModel is used: the same trained model with closed forms and stored histories of the
  train split only. The pushed `Format-Serving/` model was refitted on train + eval, so it
  has seen every test pair (and excludes them as seen): scoring it here would be meaningless;
- popularity (train interaction counts);
- item-kNN: cosine over the binary train matrix, the `--neighbours` nearest items per item
  (`rec_model.closed_forms.gram.pruned_gram`), score = sum of similarities to the user's
  train items; ties (users without train items) broken by popularity.
"""

import argparse
import json
import os
import time
from typing import Dict, List

import numpy as np
import pandas as pd
import scipy.sparse as sp

K = 10


def load_split_indices(examples: str):
    """Both splits as index arrays over one user and one item vocabulary."""
    from components.trainer.training_inputs import read_examples_split

    tr_u, tr_i, tr_t = read_examples_split(examples, "train")[:3]
    ev_u, ev_i = read_examples_split(examples, "eval")[:2]
    users, user_ids = pd.factorize(np.concatenate([tr_u, ev_u]))
    items, item_ids = pd.factorize(np.concatenate([tr_i, ev_i]))
    n = tr_u.size
    return (users[:n], items[:n], tr_t, users[n:], items[n:],
            [u.decode() for u in user_ids], [i.decode() for i in item_ids])


def test_sets(tr_u, tr_i, ev_u, ev_i, n_items: int, max_users: int, seed: int):
    """Sampled users (sorted) and their relevant items (test pairs not in train)."""
    train_keys = np.unique(tr_u.astype(np.int64) * n_items + tr_i)
    keys = np.unique(ev_u.astype(np.int64) * n_items + ev_i)
    keys = keys[~np.isin(keys, train_keys, assume_unique=True)]
    users, items = keys // n_items, keys % n_items
    candidates = np.unique(users)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(candidates, size=min(max_users, candidates.size), replace=False))
    keep = np.isin(users, chosen)
    relevant: Dict[int, np.ndarray] = {}
    for user, group in pd.Series(items[keep]).groupby(users[keep]):
        relevant[int(user)] = group.to_numpy()
    return chosen, relevant


def ndcg_summary(ranked: List[np.ndarray], users: np.ndarray, relevant) -> Dict[str, float]:
    from rec_model.sampled_metrics import mean_with_ci
    from rec_model.ranking_metrics import ndcg_at_k, recall_at_k

    ndcg = mean_with_ci([ndcg_at_k(r, relevant[int(u)], K) for r, u in zip(ranked, users)])
    recall = mean_with_ci([recall_at_k(r, relevant[int(u)], K) for r, u in zip(ranked, users)])
    return {"ndcg@10": ndcg.mean, "ndcg@10_ci95": ndcg.half_width, "recall@10": recall.mean}


def popularity_lists(x: sp.csr_matrix, counts: np.ndarray, users: np.ndarray) -> List[np.ndarray]:
    order = np.argsort(-counts, kind="stable")
    out = []
    for user in users:
        seen = set(x.indices[x.indptr[user]:x.indptr[user + 1]].tolist())
        out.append(np.asarray([i for i in order[:K + len(seen)] if i not in seen][:K]))
    return out


def knn_lists(x: sp.csr_matrix, counts: np.ndarray, users: np.ndarray, neighbours: int):
    """Item-kNN top-K per user; returns (lists, seconds to build the similarity)."""
    from rec_model.closed_forms.gram import pruned_gram

    start = time.perf_counter()
    gram = pruned_gram(x, neighbours)
    d = np.sqrt(np.maximum(gram.diagonal, 1e-12))
    s = gram.entries.tocoo()
    sim = sp.csr_matrix((s.data / d[s.row] / d[s.col], (s.row, s.col)), shape=s.shape)
    build = time.perf_counter() - start
    tie = (counts / max(counts.max(), 1) * 1e-6).astype(np.float64)  # below any real similarity
    out = []
    for start in range(0, users.size, 256):  # 256 x items float64 at a time
        rows = x[users[start:start + 256]]
        scores = (rows @ sim).toarray() + tie
        scores[rows.nonzero()] = -np.inf
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        for row, cand in enumerate(top):
            out.append(cand[np.argsort(-scores[row, cand], kind="stable")])
    return out, build


def model_lists(model_uri: str, users, user_ids, item_index, tr_u, tr_i, tr_t):
    """Top-K of the trained model's `recommend` for `users` (exclude = all train items,
    history as the evaluator sends it), as item indices (-1 for ids outside the split
    vocabulary)."""
    from components.evaluator.config import EvaluatorConfig
    from components.evaluator.model_io import ServingSignatures, eval_model_dir

    path = eval_model_dir(model_uri)
    model = ServingSignatures(path)
    mask = np.isin(tr_u, users)
    frame = pd.DataFrame({"u": tr_u[mask], "i": tr_i[mask], "t": tr_t[mask]})
    frame = frame.sort_values(["u", "t"])
    frame = frame.drop_duplicates(["u", "i"], keep="first")
    history = {int(u): g.to_numpy() for u, g in frame.groupby("u")["i"]}
    item_ids = {v: k for k, v in item_index.items()}
    sent_history = EvaluatorConfig().sent_history
    out = []
    for start in range(0, users.size, 256):
        batch = users[start:start + 256]
        seen = [[item_ids[i] for i in history.get(int(u), ())] for u in batch]
        recs = model.recommend([user_ids[u] for u in batch], K,
                               [sent_history(s) for s in seen], seen)
        for row, seen_row in enumerate(seen):
            done = set(seen_row)
            out.append(np.asarray([item_index.get(i, -1) for i in recs["item_ids"][row]
                                   if i and i not in done][:K]))
    return out, path


def run(examples: str, model_uri: str, max_users: int = 10000, seed: int = 0,
        neighbours: int = 100) -> Dict:
    """All three methods on one sample of test users; see the module docstring."""
    start = time.perf_counter()
    tr_u, tr_i, tr_t, ev_u, ev_i, user_ids, item_ids = load_split_indices(examples)
    n_users, n_items = len(user_ids), len(item_ids)
    users, relevant = test_sets(tr_u, tr_i, ev_u, ev_i, n_items, max_users, seed)
    x = sp.csr_matrix((np.ones(tr_u.size, np.float32), (tr_u, tr_i)), shape=(n_users, n_items))
    x.sum_duplicates()
    x.data[:] = 1.0  # binary: a repeated interaction counts once
    counts = np.bincount(tr_i, minlength=n_items).astype(np.float64)
    result = {"users_scored": int(users.size), "test_users": int(len(np.unique(ev_u))),
              "train_pairs": int(tr_u.size), "seed": seed, "k": K,
              "seconds": {"read": round(time.perf_counter() - start, 1)}}
    t = time.perf_counter()
    result["popularity"] = ndcg_summary(popularity_lists(x, counts, users), users, relevant)
    result["seconds"]["popularity"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    lists, build = knn_lists(x, counts, users, neighbours)
    result["item_knn"] = {**ndcg_summary(lists, users, relevant), "neighbours": neighbours}
    result["seconds"].update(item_knn=round(time.perf_counter() - t, 1),
                             item_knn_build=round(build, 1))
    t = time.perf_counter()
    lists, path = model_lists(model_uri, users, user_ids, {i: n for n, i in enumerate(item_ids)},
                              tr_u, tr_i, tr_t)
    result["model"] = {**ndcg_summary(lists, users, relevant), "saved_model": path}
    result["seconds"]["model"] = round(time.perf_counter() - t, 1)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", required=True, help="example_gen's Examples artifact folder")
    parser.add_argument("--model", required=True, help="the trainer's Model artifact folder")
    parser.add_argument("--out", required=True)
    parser.add_argument("--max-users", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--neighbours", type=int, default=100)
    args = parser.parse_args(argv)
    result = run(args.examples, args.model, args.max_users, args.seed, args.neighbours)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "seconds"}), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    raise SystemExit(main())
