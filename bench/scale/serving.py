"""`recommend` latency of the pipeline's pushed model: in process, and served over gRPC.

    python -m bench.scale.serving --base <serving-dir>/<model> --model-name recsys --out s.json

In this process, one after the other, each for `--duration` seconds:
- floor: the protocol's stand-in SavedModel (id lookup + 64-d brute force + top-10 over as
  many items as the pushed model has; serving.testing.export_standin), 1 and 4 threads;
- the pushed model's own `recommend` signature, 1 and 4 threads;
then the model server (`serving.launcher.start_model_server`, `python -m serving` unless
--binary says otherwise) on the pushed model, with 1 and 4 concurrent gRPC clients, each
with its own channel. Every request asks k=10 for one random known user (seeded sample of
the model's user vocabulary), empty history and exclude. The client loop, the request
builder and the summary are bench/bench_serving.py's. Target (the scale issue): p99 at 4
clients <= max(3 x floor p99 at 4 threads, 10 ms) with 0 errors.
"""

import argparse
import gc
import json
import os
import tempfile
import time

import numpy as np

from bench import bench_serving as bs
from bench import machine
from bench.scale.monitor import RssSampler, rss_bytes
from rec_model import features as F

TARGET_RATIO, TARGET_FLOOR_MS = 3.0, 10.0


def sample_users(saved_model: str, n: int, seed: int):
    """Up to `n` random user ids of the model's vocabulary (assets/user_ids.txt)."""
    for folder in ("assets.extra", "assets"):
        path = os.path.join(saved_model, folder, "user_ids.txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                ids = [line.strip() for line in f if line.strip()]
            rng = np.random.default_rng(seed)
            return [ids[i] for i in rng.choice(len(ids), size=min(n, len(ids)), replace=False)]
    raise FileNotFoundError(f"{saved_model}: no assets/user_ids.txt to draw known users from")


def count_items(saved_model: str) -> int:
    with open(os.path.join(saved_model, "assets", "item_ids.txt"), encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def in_process(saved_model: str, users, concurrency, duration: float):
    """Summaries of a SavedModel's `recommend` called by 1..n threads in this process."""
    import tensorflow as tf

    start = time.perf_counter()
    fn = tf.saved_model.load(saved_model).signatures[F.SIGNATURE_RECOMMEND]
    load = time.perf_counter() - start
    inputs = [{k: tf.constant(v) for k, v in bs._inputs(u).items()} for u in users]
    rows = {}
    for n in concurrency:
        rows[n] = bs._summary(*bs._run_threads(
            n, duration, lambda t: lambda i: fn(**inputs[(t * 7 + i) % len(inputs)])))
    return rows, load


def served(base: str, name: str, users, concurrency, duration: float, binary: str,
           server_flags=()):
    """Server start-up seconds, peak RSS and per-concurrency summaries over gRPC."""
    import grpc
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    from serving.launcher import start_model_server
    from serving.tensors import to_proto

    requests = []
    for u in users:
        request = predict_pb2.PredictRequest()
        request.model_spec.name, request.model_spec.signature_name = name, F.SIGNATURE_RECOMMEND
        for key, value in bs._inputs(u).items():
            request.inputs[key].CopyFrom(to_proto(value))
        requests.append(request)
    start = time.perf_counter()
    rows = {}
    with start_model_server(base, name, binary=binary,
                            extra_flags=["--file_system_poll_wait_seconds=0",
                                         *server_flags]) as server:
        with RssSampler(server.process.pid) as sampler:
            server.wait_until_available(timeout=3600)
            ready = time.perf_counter() - start
            idle_rss = rss_bytes(server.process.pid)
            for n in concurrency:
                def make_call(t):
                    channel = grpc.insecure_channel(server.grpc_target)
                    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
                    return lambda i: stub.Predict(requests[(t * 7 + i) % len(requests)],
                                                  timeout=30)

                rows[n] = bs._summary(*bs._run_threads(n, duration, make_call))
        kind = server.kind
    return {"kind": kind, "ready_seconds": round(ready, 1), "idle_rss": idle_rss,
            "peak_rss": sampler.peak(), "rows": rows}


def run(base: str, name: str, duration: float = 10.0, concurrency=(1, 4), n_users: int = 256,
        seed: int = 0, binary: str = "python", server_flags=()) -> dict:
    """See the module docstring."""
    from components.batch_scorer.model_path import resolve_saved_model
    from serving.testing import export_standin, user_ids

    load_before = os.getloadavg()[0]
    saved_model = resolve_saved_model(base)
    users = sample_users(saved_model, n_users, seed)
    n_items = count_items(saved_model)
    with tempfile.TemporaryDirectory(prefix="scale-floor-") as work:
        export_standin(os.path.join(work, "floor"), 1, n_users=1000, n_items=n_items, dim=64)
        floor, _ = in_process(os.path.join(work, "floor", "1"), user_ids(64), concurrency,
                              duration)
    model, load = in_process(saved_model, users, concurrency, duration)
    gc.collect()
    server = served(base, name, users, concurrency, duration, binary, server_flags)
    rows = []
    for n in concurrency:
        s, f, m = server["rows"][n], floor[n], model[n]
        rows.append({"clients": n, "server": s, "floor": f, "in_process_model": m,
                     "server_p99_over_floor": round(s["p99_ms"] / f["p99_ms"], 2),
                     "model_p99_over_floor": round(m["p99_ms"] / f["p99_ms"], 2),
                     "server_rps_over_floor": round(s["throughput_rps"] / f["throughput_rps"], 3)})
    four = next((r for r in rows if r["clients"] == 4), None)
    target = None
    if four:
        bound = max(TARGET_RATIO * four["floor"]["p99_ms"], TARGET_FLOOR_MS)
        target = {"p99_ms": four["server"]["p99_ms"], "bound_ms": round(bound, 2),
                  "errors": four["server"]["errors"],
                  "met": four["server"]["p99_ms"] <= bound and four["server"]["errors"] == 0}
    return {"machine": machine.describe(),
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "saved_model": saved_model, "items": n_items, "users_sampled": len(users),
            "duration_s": duration, "server_flags": list(server_flags),
            "model_load_seconds": round(load, 1),
            "server_kind": server["kind"], "server_ready_seconds": server["ready_seconds"],
            "server_idle_rss": server["idle_rss"], "server_peak_rss": server["peak_rss"],
            "rows": rows, "target": target}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True,
                        help="<serving-dir>/<model-name> (version folders)")
    parser.add_argument("--model-name", default="recsys")
    parser.add_argument("--out", required=True)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell")
    parser.add_argument("--binary", default="python",
                        choices=["auto", "python", "tensorflow_model_server"])
    parser.add_argument("--server-flag", action="append", default=[], dest="server_flags",
                        help="extra model-server flag, e.g. --server-flag=--enable_batching")
    args = parser.parse_args(argv)
    result = run(args.base, args.model_name, args.duration, binary=args.binary,
                 server_flags=args.server_flags)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result["target"]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
