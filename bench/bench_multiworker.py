"""Multi-worker training steps: sparse (IndexedSlices) vs dense embedding-gradient all-reduce.

    TF_USE_LEGACY_KERAS=1 PYTHONPATH=. .venv/bin/python bench/bench_multiworker.py \
        [--users 200000] [--items 20000] [--dim 64] [--batch 1024] [--steps 30] \
        [--per-user 10] [--text-dim 384] [--out bench/results/multiworker.json]

Issue 10 item 7. The driver runs this file as 1 worker (no TF_CONFIG: the default strategy,
as `components/trainer/worker.py` trains a one-task cluster), then as 2 local workers with
the TF_CONFIG of `components/trainer/distributed.py` (MultiWorkerMirroredStrategy, RING).
Every worker builds the same seeded MultiAgentModel (all agents) over a synthetic
`Interactions`, fits its closed forms and thaws its agents as `rec_model/trainer.py` does,
sets stage "pairs" and times steps that mirror `tfrs.Model.train_step`: a tape on
`compute_loss`, then `optimizer.apply_gradients` under `strategy.run` (on CPU its
aggregation is `strategy.extended.batch_reduce_to(SUM)`, the CollectiveAllReduce). Mode
"sparse" hands over the gradients as produced; "dense" first converts every IndexedSlices
with `tf.convert_to_tensor`. After 3 warm-up steps per mode the two modes alternate step by
step over the same batches (each worker its own, --batch pairs per worker).

Bytes per step are computed from each step's gradients. IndexedSlices: the collective
all-gathers values and indices, so payload = sum over workers of (values + indices bytes)
and a ring moves ~(n-1)/n of it per worker. Dense tensors: payload = size * 4 bytes and a
ring all-reduce moves ~2(n-1)/n of it per worker. Non-embedding gradients are dense in both
modes and counted in both. Writes JSON and a Markdown table next to it.
"""

import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
WARMUP = 3
MODES = ("sparse", "dense")
# Closed-form settings fixed to keep each worker's fit short; they do not change any
# trainable weight (the history and spectral agents are not gradient-trained).
FIT_SETTINGS = dict(neighbours=16, history_l2=100.0, spectral_rank=32)


def wire_bytes(payload: float, workers: int, kind: str) -> float:
    """Bytes one worker sends in a ring: all-gather (n-1)/n, all-reduce 2(n-1)/n of payload."""
    return payload * (workers - 1) / workers * (1 if kind == "sparse" else 2)


def gradient_bytes(grads):
    """(IndexedSlices bytes = values + indices, dense bytes = size * itemsize) of one replica's
    gradients (None skipped); works eagerly and inside tf.function."""
    import tensorflow as tf

    def nbytes(t):
        return tf.cast(tf.size(t), tf.int64) * t.dtype.size

    sparse = [nbytes(g.values) + nbytes(g.indices) for g in grads
              if isinstance(g, tf.IndexedSlices)]
    dense = [nbytes(g) for g in grads if g is not None and not isinstance(g, tf.IndexedSlices)]
    zero = [tf.constant(0, tf.int64)]
    return tf.add_n(sparse or zero), tf.add_n(dense or zero)


def synthetic(users: int, items: int, per_user: int, text_dim: int, seed: int):
    """`per_user` interactions per user on Zipf-like (exponent 0.8) item popularity."""
    from rec_model.interactions import Interactions

    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, items + 1) ** 0.8
    item = rng.permutation(items)[rng.choice(items, size=users * per_user, p=p / p.sum())]
    user = np.repeat(np.arange(users), per_user)
    ts = rng.uniform(1.6e9, 1.7e9, size=user.size)
    text = rng.normal(0, 0.1, size=(items, text_dim)).astype(np.float32)
    return Interactions(user, item, users, items, ts), text


def pairs_stage_model(config, data, text, replicas: int = 1):
    """A MultiAgentModel as `rec_model/trainer.py` brings it to its pairs stage: closed forms
    fitted, agents thawed, weights built, stage "pairs", compiled with the trainer's
    optimizer (call inside the strategy's scope)."""
    from rec_model import trainer
    from rec_model.multi_agent_model import MultiAgentModel
    from rec_model.warm_start import build_weights

    model = MultiAgentModel(config, data.num_users, data.num_items, text.shape[1])
    trainer.fit_closed_forms(model, trainer.fit_context(model, data, text))
    for agent in model.agents:
        agent.thaw()
    build_weights(model)
    model.set_stage("pairs")
    model.compile(optimizer=trainer._optimizer(model, replicas))
    return model


def worker(args) -> dict:
    """One worker: build, fit, time both modes; returns this worker's measurements."""
    from components.trainer.worker import make_strategy

    strategy = make_strategy()  # before any other TensorFlow op, as worker.py does
    import tensorflow as tf

    from rec_model import auto_settings, trainer
    from rec_model.config import ModelConfig

    strategy = strategy or tf.distribute.get_strategy()
    n = strategy.num_replicas_in_sync
    config = ModelConfig(embedding_dim=args.dim, batch_size=args.batch, seed=args.seed,
                         **FIT_SETTINGS)
    tf.keras.utils.set_random_seed(config.seed)
    data, text = synthetic(args.users, args.items, args.per_user, args.text_dim, args.seed)
    start = time.perf_counter()
    with strategy.scope():
        model = pairs_stage_model(config, data, text, replicas=n)
    model.negatives = auto_settings.negatives_for(args.batch, config.negatives)
    fit_seconds = time.perf_counter() - start
    variables = model.trainable_variables
    owner = {}  # the hybrid agent tracks its peers' weights too: the first agent owns them
    for agent in model.agents:
        for w in agent.trainable_weights:
            owner.setdefault(id(w), agent.name)
    names = [f"{owner.get(id(v), 'model')}/{v.name}" for v in variables]  # cf, hybrid share names
    kinds = {}

    def make_step(dense: bool):
        def replica(inputs):
            with tf.GradientTape() as tape:
                loss = model.compute_loss(inputs, training=True)
            grads = tape.gradient(loss, variables)
            for name, g in zip(names, grads):  # trace time: what the model produces
                if g is not None and not dense:
                    kinds[name] = "IndexedSlices" if isinstance(g, tf.IndexedSlices) else "Tensor"
            if dense:
                grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                         for g in grads]
            sparse_b, dense_b = gradient_bytes(grads)
            model.optimizer.apply_gradients(
                [(g, v) for g, v in zip(grads, variables) if g is not None])
            return loss, sparse_b, dense_b

        return tf.function(lambda inputs: strategy.run(replica, args=(inputs,)))

    steps = {mode: make_step(mode == "dense") for mode in MODES}
    ds = trainer._pairs_dataset(data, args.batch, config.seed + args.worker_index)
    batches = list(ds.take(WARMUP + args.steps))
    out = {mode: {"ms": [], "sparse_bytes": [], "dense_bytes": [], "loss": []} for mode in MODES}
    for i, batch in enumerate(batches[:WARMUP] * 2 + batches[WARMUP:]):
        for mode in (MODES if i >= 2 * WARMUP else [MODES[i // WARMUP]]):
            t0 = time.perf_counter()
            loss, sparse_b, dense_b = (strategy.experimental_local_results(x)[0]
                                       for x in steps[mode](batch))
            loss = float(loss)  # waits for the step
            ms = (time.perf_counter() - t0) * 1e3
            if i >= 2 * WARMUP:
                rec = out[mode]
                for key, value in zip(rec, (ms, int(sparse_b), int(dense_b), loss)):
                    rec[key].append(value)
    sizes = {name: int(v.shape.num_elements()) * v.dtype.size for name, v in zip(names, variables)}
    return {"worker_index": args.worker_index, "workers": n, "fit_seconds": fit_seconds,
            "modes": out, "gradient_kinds": kinds, "trainable_bytes": sum(sizes.values()),
            "trainable_variables": sizes, "negatives": model.negatives,
            "interactions": data.size, "agents": list(config.agents)}


def run_workers(args, workers: int, scratch: str) -> list:
    """Starts `workers` processes of this file (TF_CONFIG as distributed.py when > 1)."""
    from components.trainer import distributed

    addresses = distributed.local_cluster(workers) if workers > 1 else None
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO_ROOT))
    processes, outs, logs = [], [], []
    for i in range(workers):
        outs.append(os.path.join(scratch, f"w{workers}-{i}.json"))
        logs.append(os.path.join(scratch, f"w{workers}-{i}.log"))
        if addresses:
            env["TF_CONFIG"] = distributed.tf_config(addresses, i)
        cmd = [sys.executable, __file__, "--worker-index", str(i), "--worker-out", outs[i]]
        for name in ("users", "items", "dim", "batch", "steps", "per_user", "text_dim", "seed"):
            cmd += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        with open(logs[i], "wb") as log:
            processes.append(subprocess.Popen(cmd, env=dict(env), stdout=log,
                                              stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, start_new_session=True))
    deadline = time.time() + args.timeout
    try:
        while any(p.poll() is None for p in processes):
            failed = [i for i, p in enumerate(processes) if p.poll() not in (None, 0)]
            if failed or time.time() > deadline:
                i = failed[0] if failed else 0
                raise RuntimeError(f"{workers} worker(s): worker {i} exit "
                                   f"{processes[i].poll()} (or timeout); log {logs[i]}:\n"
                                   + distributed._tail(logs[i]))
            time.sleep(0.5)
    finally:
        distributed._stop(processes)
    bad = [i for i, p in enumerate(processes) if p.returncode != 0]
    if bad:
        raise RuntimeError(f"worker {bad[0]} exit {processes[bad[0]].returncode}; log "
                           f"{logs[bad[0]]}:\n{distributed._tail(logs[bad[0]])}")
    results = []
    for path in outs:
        with open(path, encoding="utf-8") as f:
            results.append(json.load(f))
    return results


def summarise(results: list, batch: int) -> dict:
    """Rows per mode: step time = per step the slowest worker (steps are synchronous)."""
    n = results[0]["workers"]
    rows = {}
    for mode in MODES:
        ms = np.max([r["modes"][mode]["ms"] for r in results], axis=0)
        # Bytes each worker contributes per step (constant across steps; median to be safe).
        sparse = sum(float(np.median(r["modes"][mode]["sparse_bytes"])) for r in results)
        dense = float(np.median(results[0]["modes"][mode]["dense_bytes"]))
        payload = sparse + dense  # all-gathered slices of every worker + one dense copy
        wire = wire_bytes(sparse, n, "sparse") + wire_bytes(dense, n, "dense")
        rows[f"{n} worker{'s' * (n > 1)} {mode}"] = {
            "workers": n, "mode": mode, "median_ms": float(np.median(ms)),
            "p90_ms": float(np.percentile(ms, 90)), "examples_per_s":
            batch * n / (float(np.median(ms)) / 1e3), "payload_bytes": payload,
            "indexed_slices_payload_bytes": sparse, "dense_payload_bytes": dense,
            "wire_bytes_per_worker": wire, "all_reduced": n > 1, "steps": len(ms)}
    for key in ("median_ms", "payload_bytes", "wire_bytes_per_worker"):
        s, d = (rows[f"{n} worker{'s' * (n > 1)} {m}"] for m in MODES)
        d[f"dense_over_sparse_{key}"] = d[key] / s[key] if s[key] else None
    return rows


def write_markdown(report: dict, path: str) -> None:
    mb, kinds = 1 / 2 ** 20, report["gradient_kinds"].values()
    lines = [f"# Multi-worker step: sparse vs dense embedding gradients ({report['date']})", "",
             f"`{report['command']}`", "",
             f"Model: all agents {report['agents']}, {report['users']} users, {report['items']} "
             f"items, dim {report['dim']}, {report['interactions']} synthetic interactions, "
             f"closed forms fitted with {report['fit_settings']} (no trainable weight "
             "depends on them); "
             f"trainable variables {report['trainable_bytes'] * mb:.1f} MiB. Batch "
             f"{report['batch']} pairs per worker, {report['negatives']} negatives, "
             f"{report['steps']} timed steps per mode after {WARMUP} warm-up steps, modes "
             "alternating step by step.", "",
             "| mode | median step ms | p90 step ms | examples/s | payload MiB/step | "
             "ring MiB/step/worker | dense/sparse bytes | dense/sparse step time |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in report["rows"].items():
        ratio_b = r.get("dense_over_sparse_payload_bytes")
        ratio_t = r.get("dense_over_sparse_median_ms")
        lines.append(
            f"| {name} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | {r['examples_per_s']:.0f} | "
            f"{r['payload_bytes'] * mb:.2f}{'' if r['all_reduced'] else ' (not reduced)'} | "
            f"{r['wire_bytes_per_worker'] * mb:.2f} | "
            f"{'' if ratio_b is None else f'{ratio_b:.1f}x'} | "
            f"{'' if ratio_t is None else f'{ratio_t:.2f}x'} |")
    lines += ["", "Bytes: " + report["bytes_formula"], "",
              "Gradients the model produces as tf.IndexedSlices: " + ", ".join(
                  k for k, v in report["gradient_kinds"].items() if v == "IndexedSlices")
              + f"; dense: the other {sum(v == 'Tensor' for v in kinds)} (Dense/Cross layers, "
              "alpha, calibration). The slices are not deduplicated: a table's rows appear "
              "once per gather (user rows: state and L2 term; item rows: positives, negatives, "
              "L2), and the collective gathers them all.", "",
              "tf_keras Adam decays every row of its m and v slots even for IndexedSlices, so "
              "the optimizer's work is dense in both modes; sparse gradients save the "
              "densify, the all-reduce and its copies.", "",
              f"Machine: {report['cpus']} CPUs, load average (1/5/15 min) before "
              f"{report['load_before']}, after {report['load_after']}. Both workers run on the "
              "same machine and share its cores (with each other and with other jobs), so "
              "the step-time ratios measure work (densifying, summing and copying the "
              "tables), not a network; the byte counts are what a real network would carry."]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("users", 200000), ("items", 20000), ("dim", 64), ("batch", 1024),
                          ("steps", 30), ("per-user", 10), ("text-dim", 384), ("seed", 42),
                          ("timeout", 1200)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/multiworker.json"))
    parser.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_index is not None:
        result = worker(args)
        with open(args.worker_out, "w", encoding="utf-8") as f:
            json.dump(result, f)
        return 0
    load_before = [round(x, 2) for x in os.getloadavg()]
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="mw-bench-", dir="/tmp") as scratch:
        one, two = run_workers(args, 1, scratch), run_workers(args, 2, scratch)
    info = two[0]
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "TF_USE_LEGACY_KERAS=1 PYTHONPATH=. .venv/bin/python "
                   + " ".join(["bench/bench_multiworker.py"] + sys.argv[1:]),
        "users": args.users, "items": args.items, "dim": args.dim, "batch": args.batch,
        "steps": args.steps, "text_dim": args.text_dim, "interactions": info["interactions"],
        "agents": info["agents"], "negatives": info["negatives"],
        "fit_settings": FIT_SETTINGS, "trainable_bytes": info["trainable_bytes"],
        "trainable_variables": info["trainable_variables"],
        "gradient_kinds": info["gradient_kinds"],
        "fit_seconds": {"1 worker": one[0]["fit_seconds"],
                        "2 workers": [r["fit_seconds"] for r in two]},
        "rows": {**summarise(one, args.batch), **summarise(two, args.batch)},
        "bytes_formula": "IndexedSlices are all-gathered: payload = sum over workers of "
                         "(values + indices bytes), ring traffic ~(n-1)/n x payload per worker; "
                         "dense tensors are all-reduced: payload = size x 4 bytes, ring traffic "
                         "~2(n-1)/n x payload per worker. Payload = both summed; 1 worker "
                         "reduces nothing (its payload is what it would contribute).",
        "cpus": os.cpu_count(), "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "wall_seconds": time.time() - start,
        "raw": {"1 worker": one, "2 workers": two}}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    write_markdown(report, os.path.splitext(args.out)[0] + ".md")
    for name, r in report["rows"].items():
        print(f"{name:20s} median {r['median_ms']:8.1f} ms  p90 {r['p90_ms']:8.1f} ms  "
              f"payload {r['payload_bytes'] / 2 ** 20:8.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
