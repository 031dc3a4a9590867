"""`recsys bench quality`: every model of the protocol on one split, in one process."""

import hashlib
import json
import pathlib
import time
from typing import Dict, Optional

import numpy as np

from bench.quality import baselines, movielens, report
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


def model_scores(model, history: np.ndarray, batch: int = 256) -> np.ndarray:
    """Ensemble scores [users, items] of a MultiAgentModel given each user's train history."""
    import tensorflow as tf

    out = []
    for start in range(0, history.shape[0], batch):
        users = tf.range(start, min(start + batch, history.shape[0]), dtype=tf.int64)
        out.append(model.score_items(users, tf.constant(history[start:start + batch]))["ensemble"].numpy())
    return np.concatenate(out)


def _metrics(scores, split: movielens.Split, counts) -> Dict[str, float]:
    exclude = split.by_user("train")
    row = evaluate_scores(scores, split.by_user("test"), exclude, KS)
    row.update(coverage_and_popularity(scores, exclude, counts, 10))
    return row


def _cold(scores, split: movielens.Split, held_out) -> Dict[str, float]:
    test, exclude = split.by_user("test"), split.by_user("train")
    return {
        "recall@50_all": evaluate_scores(scores, test, exclude, (50,))["recall@50"],
        "recall@50_cold_only": evaluate_scores(scores, test, exclude, (50,), candidate_items=held_out)["recall@50"],
    }


def _tune_cold_boost(config, cold_split, held_out, emb, nu, ni, grid=(0.0, 0.25, 0.5, 1.0, 2.0)):
    """Picks the ensemble's cold_boost on a pseudo-cold split carved from the cold
    split's train part: 150 of its items (rng 7) held out with their interactions."""
    from rec_model.training_data import TrainingData
    from rec_model.trainer import train_multi_agent

    warm = np.setdiff1d(np.arange(ni), held_out)
    pseudo = np.random.default_rng(7).choice(warm, size=150, replace=False)
    val = movielens.cold_split(cold_split.train, pseudo)
    data = TrainingData.from_rows(val.train, nu, ni)
    model = train_multi_agent(config, data, emb).model
    results = {}
    for boost in grid:
        model.gate.cold_boost.assign(boost)
        results[boost] = _cold(model_scores(model, data.history_matrix()), val, pseudo)["recall@50_all"]
    best = max(results.values())
    return min(b for b, r in results.items() if r >= best - 1e-9), results


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
    from rec_model.training_data import TrainingData
    from rec_model.trainer import train_multi_agent

    config = config or ModelConfig()
    out_path = pathlib.Path(out_path)
    cache_dir = pathlib.Path(cache_dir or out_path.parent / "cache")
    data = movielens.load(data_dir)
    nu, ni = data.num_users, data.num_items
    split = movielens.random_split(data.interactions, ni)
    val = movielens.validation_split(split.train, ni)
    counts = np.bincount(split.train[:, 1], minlength=ni)
    log("embedding item texts (cached) ...")
    emb = item_text_embeddings(data.item_texts, cache_dir)
    models, seconds, speed = {}, {}, {}

    start = time.perf_counter()
    models["popularity"] = _metrics(baselines.popularity_scores(split.train, nu, ni), split, counts)
    seconds["popularity"] = time.perf_counter() - start
    log(f"popularity ndcg@10={models['popularity']['ndcg@10']:.4f}")

    start = time.perf_counter()
    lam, grid = baselines.tune_ease(val.train, val.by_user("test"), nu, ni)
    tuned = time.perf_counter()
    ease = baselines.ease_scores(split.train, nu, ni, lam)
    seconds["ease"] = time.perf_counter() - tuned
    models["ease"] = {**_metrics(ease, split, counts), "lambda": lam, "tuning_seconds": tuned - start}
    log(f"ease lambda={lam} (validation ndcg@10 {grid}) ndcg@10={models['ease']['ndcg@10']:.4f}")

    scores, seconds["tfrs_basic"], speed["tfrs_basic_examples_per_second"] = baselines.tfrs_basic(split.train, nu, ni)
    models["tfrs_basic"] = _metrics(scores, split, counts)
    log(f"tfrs_basic ndcg@10={models['tfrs_basic']['ndcg@10']:.4f}")

    # The closed forms' ridge weights (history agent EDLAE, CF agent user-user) are tuned
    # on the validation split above, like EASE's lambda.
    start = time.perf_counter()
    closed = baselines.tune_closed_forms(val.train, val.by_user("test"), nu, ni, config)
    config = ModelConfig.from_dict({**config.to_dict(), "history_l2": closed["history_l2"], "user_l2": closed["user_l2"]})
    log(f"closed forms: history_l2={closed['history_l2']} user_l2={closed['user_l2']} "
        f"({time.perf_counter() - start:.0f}s; validation ndcg@10 {closed['history_grid']} / {closed['user_grid']})")
    train = TrainingData.from_rows(split.train, nu, ni)
    history = train.history_matrix()
    for agent in config.agents:
        cfg = ModelConfig.from_dict({**config.to_dict(), "agents": [agent]})
        start = time.perf_counter()
        result = train_multi_agent(cfg, train, emb)
        seconds[f"agent:{agent}"] = time.perf_counter() - start
        models[f"agent:{agent}"] = _metrics(model_scores(result.model, history), split, counts)
        log(f"agent:{agent} ndcg@10={models[f'agent:{agent}']['ndcg@10']:.4f} ({seconds[f'agent:{agent}']:.0f}s)")

    start = time.perf_counter()
    result = train_multi_agent(config, train, emb)
    seconds["multi_agent"] = time.perf_counter() - start
    full = result.model
    models["multi_agent"] = _metrics(model_scores(full, history), split, counts)
    epochs_run = config.epochs + (config.finetune_epochs if config.gate_share > 0 else 0)
    speed["multi_agent_examples_per_second"] = len(split.train) * epochs_run / seconds["multi_agent"]
    speed["ratio_multi_agent_vs_tfrs_basic"] = speed["multi_agent_examples_per_second"] / speed["tfrs_basic_examples_per_second"]
    alpha = {"final": full.alphas(), "per_epoch": [
        {k: v for k, v in row.items() if k.startswith("alpha_") or k in ("stage", "epoch")} for row in result.epochs if row["stage"] == "agents"]}
    gate = {"selection": next((row for row in result.epochs if row["stage"] == "gate_select"), None),
            "mean_weights": dict(zip(full.agent_names, [float(v) for v in np.mean(full.score_items(
                np.arange(min(nu, 256)), history[:256])["weights"].numpy(), axis=0)]))}
    log(f"gate: {gate}")
    log(f"multi_agent ndcg@10={models['multi_agent']['ndcg@10']:.4f} ({seconds['multi_agent']:.0f}s) alpha={alpha['final']}")

    log("cold-item split ...")
    held_out = movielens.cold_items(ni)
    cold_split = movielens.cold_split(data.interactions, held_out)
    cold = {"popularity": _cold(baselines.popularity_scores(cold_split.train, nu, ni), cold_split, held_out),
            "ease": _cold(baselines.ease_scores(cold_split.train, nu, ni, lam), cold_split, held_out)}
    cold_train = TrainingData.from_rows(cold_split.train, nu, ni)
    cold_history = cold_train.history_matrix()
    if "content" in config.agents:
        start = time.perf_counter()
        content_cfg = ModelConfig.from_dict({**config.to_dict(), "agents": ["content"]})
        cold["agent:content"] = _cold(model_scores(train_multi_agent(content_cfg, cold_train, emb).model, cold_history), cold_split, held_out)
        seconds["cold:agent:content"] = time.perf_counter() - start
        boost, boost_grid = _tune_cold_boost(config, cold_split, held_out, emb, nu, ni)
        log(f"cold_boost={boost} (pseudo-cold validation recall@50_all {boost_grid})")
    start = time.perf_counter()
    cold_model = train_multi_agent(config, cold_train, emb).model
    seconds["cold:multi_agent"] = time.perf_counter() - start
    cold["multi_agent"] = _cold(model_scores(cold_model, cold_history), cold_split, held_out)
    if "content" in config.agents:
        cold_model.gate.cold_boost.assign(boost)
        cold[f"multi_agent+cold_boost={boost}"] = _cold(model_scores(cold_model, cold_history), cold_split, held_out)
        cold_tuning = {"cold_boost": boost, "pseudo_cold_validation_recall@50_all": boost_grid}
    log(f"cold: {cold}")

    best_agent = max((k for k in models if k.startswith("agent:")), key=lambda k: models[k]["ndcg@10"])
    ma, ez = models["multi_agent"], models["ease"]
    targets = {
        "multi_agent ndcg@10 >= 1.03 x ease": ma["ndcg@10"] >= 1.03 * ez["ndcg@10"],
        "multi_agent recall@10 > ease": ma["recall@10"] > ez["recall@10"],
        f"multi_agent beats best single agent ({best_agent}) on ndcg@10": ma["ndcg@10"] > models[best_agent]["ndcg@10"],
        "cold recall@50 among held-out >= 0.45 (multi_agent)": cold.get("multi_agent", {}).get("recall@50_cold_only", 0) >= 0.45,
        "cold recall@50 among all >= 0.10 (multi_agent, cold_boost 0)": cold.get("multi_agent", {}).get("recall@50_all", 0) >= 0.10,
        "cold recall@50 among all >= 0.10 (multi_agent, tuned cold_boost)": max(
            [v["recall@50_all"] for k, v in cold.items() if k.startswith("multi_agent+")] or [0]) >= 0.10,
        "multi_agent training < 300 s": seconds["multi_agent"] < 300,
    }
    out = {"protocol": "../shared/BENCHMARK.md", "config": config.to_dict(), "models": models, "cold": cold,
           "alpha": alpha, "gate": gate, "train_seconds": seconds, "speed": speed, "targets": targets,
           "ease_validation_ndcg@10": grid,
           "closed_form_validation_ndcg@10": {k: v for k, v in closed.items() if k.endswith("grid")}, "cold_tuning": cold_tuning if "content" in config.agents else None}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, indent=2, sort_keys=False))
    out_path.with_suffix(".md").write_text(report.markdown(out))
    report.chart(out, out_path.with_suffix(".png"))
    log(f"wrote {out_path} (+ .md, .png)")
    return out
