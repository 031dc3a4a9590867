"""Pairs-stage training steps: LazyAdam (the default) against Keras' Adam, in one process.

    TF_USE_LEGACY_KERAS=1 PYTHONPATH=. .venv/bin/python bench/bench_optimizer.py \
        [--users 1000000] [--items 100000] [--per-user 16] [--batch 8192] [--steps 12] \
        [--out bench/results/optimizer_step.json]

The defaults are the scale protocol's size L (1M users, 100k items, 16M training pairs after
the eval split) with the batch and shared negatives the trainer chooses there
(`auto_settings`: 8,192 pairs, 128 negatives). Two models are built from the same seed and
data as `rec_model/trainer.py` builds one (closed forms with bench_multiworker's short
settings, thaw, pairs stage), one compiled with each optimizer; after 3 warm-up steps each
they take turns, step by step, over the same batches, so machine load hits both alike.
Keras' Adam turns each sparse embedding gradient into a dense update of the whole table;
LazyAdam updates the rows of the batch. Writes JSON and a Markdown table next to it.
"""

import argparse
import datetime
import json
import os
import pathlib
import time

import numpy as np

from bench.bench_multiworker import FIT_SETTINGS, pairs_stage_model, synthetic

WARMUP = 3
OPTIMIZERS = ("adam", "lazy_adam")


def measure(args) -> dict:
    import tensorflow as tf

    from rec_model import auto_settings, trainer
    from rec_model.config import ModelConfig

    data, text = synthetic(args.users, args.items, args.per_user, args.text_dim, args.seed)
    steps, models = {}, {}
    for name in OPTIMIZERS:
        config = ModelConfig(optimizer=name, seed=args.seed, **FIT_SETTINGS)
        tf.keras.utils.set_random_seed(config.seed)
        model = pairs_stage_model(config, data, text)
        model.negatives = auto_settings.negatives_for(args.batch)
        batches = iter(trainer._pairs_dataset(data, args.batch, args.seed))
        models[name] = (model, model.make_train_function(), batches)
        steps[name] = []
    losses = {}
    for step in range(WARMUP + args.steps):
        for name, (model, train_step, batches) in models.items():
            start = time.perf_counter()
            logs = train_step(batches)
            seconds = time.perf_counter() - start
            if step >= WARMUP:
                steps[name].append(seconds)
            losses[name] = float(logs["loss"])
    median = {name: float(np.median(s)) for name, s in steps.items()}
    return {
        "users": args.users, "items": args.items, "pairs": data.size, "batch": args.batch,
        "negatives": models["adam"][0].negatives, "steps_timed": args.steps,
        "agents_trained": [models["adam"][0].agents[i].name
                           for i in models["adam"][0].pair_agents()],
        "step_ms_median": {n: round(1e3 * m, 1) for n, m in median.items()},
        "speedup_lazy_vs_adam": round(median["adam"] / median["lazy_adam"], 2),
        "loss_after_steps": {n: round(v, 4) for n, v in losses.items()},
        "load_average": os.getloadavg(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write(result: dict, out: pathlib.Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ms = result["step_ms_median"]
    lines = [
        "# Pairs-stage step: LazyAdam vs Keras' Adam", "",
        f"{result['date']}; `bench/bench_optimizer.py`; {result['users']:,} users, "
        f"{result['items']:,} items, {result['pairs']:,} pairs, batch {result['batch']:,}, "
        f"{result['negatives']} shared negatives; agents trained: "
        f"{', '.join(result['agents_trained'])}; load average "
        f"{', '.join(f'{x:.2f}' for x in result['load_average'])}.", "",
        "| optimizer | median step (ms) | loss after the timed steps |", "|---|---|---|"]
    lines += [f"| {n} | {ms[n]} | {result['loss_after_steps'][n]} |" for n in OPTIMIZERS]
    lines += ["", f"LazyAdam / Adam step time: {result['speedup_lazy_vs_adam']}x faster "
              f"(median of {result['steps_timed']} alternating steps each)."]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-user", type=int, default=16)
    parser.add_argument("--text-dim", type=int, default=384)
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bench/results/optimizer_step.json")
    args = parser.parse_args(argv)
    result = measure(args)
    write(result, pathlib.Path(args.out))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
