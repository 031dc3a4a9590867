"""Serving latency and throughput: `recommend` over gRPC vs the in-process SavedModel floor.

For each catalogue (a MovieLens-scale stand-in: 943 users, 1,682 items, 64-d; and a synthetic
100,000-item one) and each number of concurrent clients (1, 4, 16), runs for a fixed duration:
- floor: that many threads calling the SavedModel's `recommend` in this process (no server);
- server: that many threads, each with its own gRPC channel, calling `python -m serving`
  started in a separate process by `serving.launcher` (the real tensorflow_model_server
  when it is on PATH and --binary auto).
Each request asks k=10 for one user (cycling over 64 users, empty history and exclude).
Reports p50/p95/p99 latency, throughput, errors, and server/floor ratios (BENCHMARK.md).

    python bench/bench_serving.py --duration 10
    -> bench/results/serving.json and bench/results/serving.md
"""

import argparse
import json
import os
import pathlib
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench import machine  # noqa: E402
from rec_model import features as F  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
SCALES = {"movielens": dict(n_users=943, n_items=1682, dim=64),
          "100k": dict(n_users=1000, n_items=100_000, dim=64)}


def _inputs(user: str, k: int = 10) -> dict:
    blank = np.array([[b""]], object)
    return {F.USER_ID: np.array([user.encode()], object), F.K: np.int32(k), F.HISTORY: blank,
            F.EXCLUDE: blank}


def _run_threads(n_threads: int, duration: float, make_call):
    """Each thread loops `call(i)` for `duration` s; returns (latencies in s, errors, wall s)."""
    latencies, errors, lock = [], [], threading.Lock()
    stop = threading.Event()
    barrier = threading.Barrier(n_threads + 1)

    def worker(index):
        call = make_call(index)
        call(0)  # warm the channel / function outside the timed window
        local, local_errors, i = [], [], 0
        barrier.wait()
        while not stop.is_set():
            start = time.perf_counter()
            try:
                call(i)
                local.append(time.perf_counter() - start)
            except Exception as err:  # noqa: BLE001 - counted, not raised
                local_errors.append(repr(err)[:200])
            i += 1
        with lock:
            latencies.extend(local)
            errors.extend(local_errors)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    return np.asarray(latencies), errors, time.perf_counter() - began


def _summary(latencies, errors, wall):
    ms = latencies * 1e3 if len(latencies) else np.array([np.nan])
    return {"requests": int(len(latencies)), "errors": len(errors), "first_errors": errors[:3],
            "throughput_rps": round(len(latencies) / wall, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p95_ms": round(float(np.percentile(ms, 95)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def bench_scale(name, spec, concurrency, duration, binary, work, batching=False, server_flags=()):
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    import grpc
    from serving.launcher import start_model_server
    from serving.tensors import to_proto
    from serving.testing import export_standin, user_ids

    base = pathlib.Path(work) / name
    t0 = time.perf_counter()
    export_standin(base, 1, **spec)
    print(f"[{name}] exported stand-in in {time.perf_counter() - t0:.1f} s", flush=True)
    users = user_ids(spec["n_users"])[:64]
    model = tf.saved_model.load(str(base / "1"))
    fn = model.signatures[F.SIGNATURE_RECOMMEND]
    floor_inputs = [{k: tf.constant(v) for k, v in _inputs(u).items()} for u in users]
    requests = []
    for u in users:
        request = predict_pb2.PredictRequest()
        request.model_spec.name, request.model_spec.signature_name = name, F.SIGNATURE_RECOMMEND
        for key, value in _inputs(u).items():
            request.inputs[key].CopyFrom(to_proto(value))
        requests.append(request)

    rows = []
    flags = (["--file_system_poll_wait_seconds=0", *server_flags]
             + (["--enable_batching=true"] if batching else []))
    with start_model_server(base, name, binary=binary, extra_flags=flags) as server:
        server.wait_until_available(timeout=300)
        for n in concurrency:
            floor = _summary(*_run_threads(
                n, duration, lambda t: lambda i: fn(**floor_inputs[(t * 7 + i) % 64])))

            def make_call(t):
                stub = prediction_service_pb2_grpc.PredictionServiceStub(
                    grpc.insecure_channel(server.grpc_target))
                return lambda i: stub.Predict(requests[(t * 7 + i) % 64], timeout=30)

            served = _summary(*_run_threads(n, duration, make_call))
            row = {"scale": name, "items": spec["n_items"], "dim": spec["dim"], "clients": n,
                   "batching": batching,
                   "server": served,
                   "floor": floor, "ratio_p50": round(served["p50_ms"] / floor["p50_ms"], 2),
                   "ratio_p99": round(served["p99_ms"] / floor["p99_ms"], 2),
                   "ratio_throughput": round(
                       served["throughput_rps"] / floor["throughput_rps"], 2)}
            rows.append(row)
            print(f"[{name}{' batching' if batching else ''}] clients={n}: "
                  f"server p50 {served['p50_ms']} p95 {served['p95_ms']} p99 "
                  f"{served['p99_ms']} ms, {served['throughput_rps']} rps, "
                  f"{served['errors']} errors | floor p50 "
                  f"{floor['p50_ms']} p99 {floor['p99_ms']} ms, {floor['throughput_rps']} rps",
                  flush=True)
        kind = server.kind
    return rows, kind


def write_report(result, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "serving.json").write_text(json.dumps(result, indent=1))
    lines = ["# Serving benchmark (`bench/bench_serving.py`)", "",
             f"{result['when']} on {result['machine']}; server: {result['server_kind']}; "
             f"server flags: {' '.join(result.get('server_flags', [])) or 'defaults'}; "
             f"{result['duration_s']} s per cell; request: recommend, 1 user, k=10; "
             "1-minute load average "
             f"{result['load_average_1m'][0]} before, {result['load_average_1m'][1]} after.", "",
             "| catalogue | batching | clients | p50 ms | p95 ms | p99 ms | req/s | errors "
             "| floor p50 | floor p99 | floor req/s | p50 x floor | p99 x floor |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        s, f = r["server"], r["floor"]
        lines.append(f"| {r['items']:,} x {r['dim']}-d | {'on' if r['batching'] else 'off'} "
                     f"| {r['clients']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
                     f"| {s['throughput_rps']} | {s['errors']} | {f['p50_ms']} | {f['p99_ms']} "
                     f"| {f['throughput_rps']} "
                     f"| {r['ratio_p50']} | {r['ratio_p99']} |")
    lines += ["", "Floor: the same SavedModel signature called in this process by the same number "
              "of threads (no server, no serialisation). The machine is shared; compare ratios, "
              "not absolute numbers."]
    (out_dir / "serving.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds per (scale, clients) cell")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--scales", nargs="+", default=list(SCALES), choices=list(SCALES))
    parser.add_argument("--binary", default="python",
                        choices=["auto", "python", "tensorflow_model_server"])
    parser.add_argument("--batching", action="store_true",
                        help="also run the server with --enable_batching")
    parser.add_argument("--server-flag", action="append", default=[],
                        help="extra model-server flag, repeatable "
                             "(e.g. --server-flag=--tensorflow_inter_op_parallelism=0)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    rows, kind, load_before = [], None, os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as work:
        for name in args.scales:
            for batching in [False, True] if args.batching else [False]:
                scale_rows, kind = bench_scale(name, SCALES[name], args.concurrency, args.duration,
                                               args.binary, work + ("/b" if batching else ""),
                                               batching, args.server_flag)
                rows += scale_rows
    result = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": machine.describe(),
              "server_kind": kind, "server_flags": args.server_flag, "duration_s": args.duration,
              "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
              "rows": rows}
    write_report(result, pathlib.Path(args.out))
    print(f"wrote {args.out}/serving.json and serving.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
