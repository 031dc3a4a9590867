"""`recsys bench quality`: every model of the protocol on one split, in one process.

The multi-agent model (and each agent alone) is trained by the pipeline trainer's own
`train_and_export` and ranked through the exported SavedModel's signatures
(`pipeline_model.py`); the baselines are dense reference implementations at MovieLens scale.
"""

import hashlib
import json
import pathlib
import tempfile
import time
from typing import Dict

import numpy as np

from bench.quality import baselines, movielens, pipeline_model, report
from rec_model.ranking_metrics import coverage_and_popularity, evaluate_scores

KS = (10, 50, 100)


def item_text_embeddings(texts, cache_dir) -> np.ndarray:
    """embed_texts(texts) cached under cache_dir by a hash of the texts."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = pathlib.Path(cache_dir) / f"item_text_embeddings_{key}.npy"
    if path.exists():
        return np.load(path)
    from components.text_embedder.embedder import embed_texts

    emb = np.asarray(embed_texts(list(texts)), np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    return emb


def _dense_metrics(scores, split: movielens.Split, counts) -> Dict[str, float]:
    exclude = split.by_user("train")
    row = evaluate_scores(scores, split.by_user("test"), exclude, KS)
    row.update(coverage_and_popularity(scores, exclude, counts, 10))
    return row


def _dense_cold(scores, split: movielens.Split, held_out) -> Dict[str, float]:
    test, exclude = split.by_user("test"), split.by_user("train")
    return {"recall@50_all": evaluate_scores(scores, test, exclude, (50,))["recall@50"],
            "recall@50_cold_only": evaluate_scores(scores, test, exclude, (50,),
                                                   candidate_items=held_out)["recall@50"]}


def _model_metrics(model, split, counts, num_users):
    train = split.by_user("train")
    ranked, contributions, names = pipeline_model.recommend_all(model, range(num_users), train,
                                                                max(KS))
    row = pipeline_model.list_metrics(ranked, split.by_user("test"), KS)
    row.update(pipeline_model.list_coverage(ranked, counts, 10))
    return row, pipeline_model.agent_shares(contributions, names)


def _model_cold(model, split, held_out, num_users):
    test = split.by_user("test")
    train = split.by_user("train")
    ranked, _, _ = pipeline_model.recommend_all(model, range(num_users), train, 50)
    among = pipeline_model.rank_among(model, range(num_users), held_out)
    cold = set(int(i) for i in held_out)
    relevant = {u: [i for i in items if i in cold] for u, items in test.items()}
    return {"recall@50_all": pipeline_model.list_metrics(ranked, relevant, (50,))["recall@50"],
            "recall@50_cold_only": pipeline_model.list_metrics(
                {u: [i for i in r if i not in set(train.get(u, []))] for u, r in among.items()},
                relevant, (50,))["recall@50"]}


def run(data_dir, out_path, config=None, cache_dir=None, log=print) -> dict:
    """Runs the benchmark and writes out_path (.json) plus .md and .png beside it.

    Args:
        data_dir: raw MovieLens-100K folder.
        out_path: JSON result path.
        config: ModelConfig of the multi-agent model (default: ModelConfig()).
        cache_dir: where item text embeddings are cached (default: <out dir>/cache).
        log: progress printer.
    """
    from rec_model.config import ModelConfig

    config = config or ModelConfig()
    out_path = pathlib.Path(out_path)
    cache_dir = pathlib.Path(cache_dir or out_path.parent / "cache")
    data = movielens.load(data_dir)
    nu, ni = data.num_users, data.num_items
    split = movielens.random_split(data.interactions, ni)
    val = movielens.validation_split(split.train, ni)
    counts = np.bincount(split.train[:, 1], minlength=ni)
    log("embedding item texts (cached) ...")
    work = pathlib.Path(tempfile.mkdtemp(prefix="recsys-bench-quality-"))
    emb_dir = pipeline_model.write_embeddings(item_text_embeddings(data.item_texts, cache_dir),
                                              str(work / "embeddings"))
    models, seconds, speed, shares, cards = {}, {}, {}, {}, {}

    start = time.perf_counter()
    models["popularity"] = _dense_metrics(baselines.popularity_scores(split.train, nu, ni), split,
                                          counts)
    seconds["popularity"] = time.perf_counter() - start
    start = time.perf_counter()
    lam, grid = baselines.tune_ease(val.train, val.by_user("test"), nu, ni)
    tuned = time.perf_counter()
    models["ease"] = {**_dense_metrics(baselines.ease_scores(split.train, nu, ni, lam), split,
                                       counts),
                      "lambda": lam, "tuning_seconds": tuned - start}
    seconds["ease"] = time.perf_counter() - tuned
    log(f"ease lambda={lam} (validation ndcg@10 {grid}) ndcg@10={models['ease']['ndcg@10']:.4f}")
    scores, seconds["tfrs_basic"], speed["tfrs_basic_examples_per_second"] = baselines.tfrs_basic(
        split.train, nu, ni)
    models["tfrs_basic"] = _dense_metrics(scores, split, counts)
    log(f"popularity {models['popularity']['ndcg@10']:.4f}, tfrs_basic "
        f"{models['tfrs_basic']['ndcg@10']:.4f}")

    variants = [(f"agent:{a}", ModelConfig.from_dict({**config.to_dict(), "agents": [a]}))
                for a in config.agents] + [("multi_agent", config)]
    for name, cfg in variants:
        start = time.perf_counter()
        model, cards[name] = pipeline_model.train_exported(split.train, emb_dir,
                                                           str(work / name.replace(":", "_")), cfg)
        seconds[name] = time.perf_counter() - start
        models[name], shares[name] = _model_metrics(model, split, counts, nu)
        log(f"{name} ndcg@10={models[name]['ndcg@10']:.4f} ({seconds[name]:.0f}s)")
    card = cards["multi_agent"]
    speed["multi_agent_examples_per_second"] = card["training"]["examples_per_second"]
    speed["ratio_multi_agent_vs_tfrs_basic"] = (speed["multi_agent_examples_per_second"]
                                                / speed["tfrs_basic_examples_per_second"])

    log("cold-item split ...")
    held_out = movielens.cold_items(ni)
    cold_split = movielens.cold_split(data.interactions, held_out)
    cold = {"popularity": _dense_cold(baselines.popularity_scores(cold_split.train, nu, ni),
                                      cold_split, held_out),
            "ease": _dense_cold(baselines.ease_scores(cold_split.train, nu, ni, lam), cold_split,
                                held_out)}
    if "content" in config.agents:
        content = ModelConfig.from_dict({**config.to_dict(), "agents": ["content"]})
        model, _ = pipeline_model.train_exported(cold_split.train, emb_dir,
                                                 str(work / "cold_content"), content)
        cold["agent:content"] = _model_cold(model, cold_split, held_out, nu)
    start = time.perf_counter()
    model, cold_card = pipeline_model.train_exported(cold_split.train, emb_dir,
                                                     str(work / "cold_multi"), config)
    seconds["cold:multi_agent"] = time.perf_counter() - start
    cold["multi_agent"] = _model_cold(model, cold_split, held_out, nu)
    log(f"cold: {cold}")

    best_agent = max((k for k in models if k.startswith("agent:")),
                     key=lambda k: models[k]["ndcg@10"])
    ma, ez = models["multi_agent"], models["ease"]
    targets = {
        "multi_agent ndcg@10 >= 1.03 x ease": ma["ndcg@10"] >= 1.03 * ez["ndcg@10"],
        f"multi_agent beats best single agent ({best_agent}) on ndcg@10":
            ma["ndcg@10"] > models[best_agent]["ndcg@10"],
        "cold recall@50 among held-out >= 0.45":
            cold["multi_agent"]["recall@50_cold_only"] >= 0.45,
        "cold recall@50 among all >= 0.10": cold["multi_agent"]["recall@50_all"] >= 0.10,
    }
    out = {"protocol": "../shared/BENCHMARK.md", "config": config.to_dict(), "models": models,
           "cold": cold, "agent_share": shares, "alpha": {"final": card["alpha"]},
           "gate": card.get("gate"), "settings": card.get("settings"), "train_seconds": seconds,
           "trainer_seconds_per_stage": card["training"]["seconds_per_stage"], "speed": speed,
           "cold_model": {"settings": cold_card.get("settings"), "gate": cold_card.get("gate")},
           "targets": targets, "ease_validation_ndcg@10": grid,
           "ratio_ndcg@10_vs_ease": ma["ndcg@10"] / ez["ndcg@10"]}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, indent=2, sort_keys=False))
    out_path.with_suffix(".md").write_text(report.markdown(out))
    report.chart(out, out_path.with_suffix(".png"))
    log(f"wrote {out_path} (+ .md, .png)")
    return out
