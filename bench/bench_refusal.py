"""Refusing oversized requests: refusal latency, server RSS, and other clients' latency.

A MovieLens-scale stand-in (943 users, 1,682 items, 64-d), or with `--model-base-path` a
pipeline's pushed model, served by `python -m serving` with default flags (started by
`serving.launcher`, so the RSS read from /proc is the server's own).
`--rounds` rounds of three `--duration`-second phases, 4 well-behaved gRPC clients (recommend,
1 user, k=10) in each:
- alone: the 4 clients only (the baseline, measured in the same round);
- flood: plus a client in another process (its own GIL) sending `recommend` with `--rows`
  user ids (200,000 by default: the request that used to get the server killed) back to back;
- paced: the same bad client at `--paced-rate` requests per second.
Reports the good clients' p50/p99 and p99 / alone per round, the server's CPU seconds per
phase, the bad client's round trip per refusal (the request is serialized once, so building
it is not timed) and answers, the server's VmRSS after warm-up, at its peak (sampled every
20 ms) and at the end; and, for scale, one largest legal request (1,024 rows) and one
200,000-id REST request.

    python bench/bench_refusal.py --duration 10
    -> bench/results/serving_refusal.json and bench/results/serving_refusal.md
    python bench/bench_refusal.py --model-base-path <serving-dir>/recsys --out <dir>
    python bench/bench_refusal.py ... --server-flag=--refusal_delay_ms=0  # refusals at once
"""

import argparse
import json
import multiprocessing
import os
import pathlib
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from bench import machine  # noqa: E402
from rec_model import features as F  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
SPEC = dict(n_users=943, n_items=1682, dim=64)
MODEL = "refusal"
CLIENTS = 4


def _request(users, k=10):
    from tensorflow_serving.apis import predict_pb2

    from serving.tensors import to_proto

    blank = np.full((len(users), 1), b"", object)
    request = predict_pb2.PredictRequest()
    request.model_spec.name, request.model_spec.signature_name = MODEL, F.SIGNATURE_RECOMMEND
    inputs = {F.USER_ID: np.array([u.encode() for u in users], object), F.K: np.int32(k),
              F.HISTORY: blank, F.EXCLUDE: blank}
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(to_proto(value))
    return request


def _bad_client(target, rows, rate, started, stop, out):
    """Runs in its own process: sends the `rows`-id request until `stop`, `rate` per second
    (0: back to back); reports via `out`."""
    import grpc

    from serving.testing import user_ids

    users = user_ids(SPEC["n_users"])
    request = _request([users[i % len(users)] for i in range(rows)])
    payload = request.SerializeToString()  # sent as is: the loop times the server, not the build
    channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
    call = channel.unary_unary("/tensorflow.serving.PredictionService/Predict",
                               request_serializer=lambda b: b, response_deserializer=lambda b: b)
    latencies, codes, message = [], {}, ""
    started.set()
    next_send = time.perf_counter()
    while not stop.is_set():
        if rate:
            next_send += 1.0 / rate
            stop.wait(max(0.0, next_send - time.perf_counter()))
        start = time.perf_counter()
        try:
            call(payload, timeout=60)
            code = "OK"
        except grpc.RpcError as err:
            code, message = err.code().name, err.details()
        latencies.append(time.perf_counter() - start)
        codes[code] = codes.get(code, 0) + 1
    out.put({"bytes": len(payload), "latencies": latencies, "codes": codes, "message": message})
    channel.close()


def _rss_mb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _good_clients(target, duration):
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from bench_serving import _run_threads, _summary
    from serving.testing import user_ids

    requests = [_request([u]) for u in user_ids(SPEC["n_users"])[:64]]

    def make_call(t):
        stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(target))
        return lambda i: stub.Predict(requests[(t * 7 + i) % 64], timeout=30)

    return _summary(*_run_threads(CLIENTS, duration, make_call))


def _phase(server, rows, rate, duration):
    """4 good clients for `duration` s, with a bad client sending `rows` ids at `rate`/s
    (0: back to back) when `rows`; returns the good clients' summary, the bad client's
    report, the server's peak RSS (MB, sampled every 20 ms) and its CPU seconds."""
    bad, out, stop = None, None, None
    if rows:
        ctx = multiprocessing.get_context("spawn")
        started, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
        bad = ctx.Process(target=_bad_client,
                          args=(server.grpc_target, rows, rate, started, stop, out))
        bad.start()
        if not started.wait(300):
            raise RuntimeError("the bad client did not start")
    samples, sampling = [], threading.Event()

    def sample():
        while not sampling.is_set():
            samples.append(_rss_mb(server.process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    cpu = machine.process_cpu_seconds(server.process.pid)
    good = _good_clients(server.grpc_target, duration)
    cpu = machine.process_cpu_seconds(server.process.pid) - cpu
    report = None
    if bad is not None:
        stop.set()
        report = out.get(timeout=120)
        bad.join()
    sampling.set()
    sampler.join()
    return {"good": good, "bad": report, "rss_peak_mb": round(max(samples), 1),
            "server_cpu_s": round(cpu, 2)}


def _largest_legal(server, rows):
    """One gRPC request of `rows` rows (answered) and one 200,000-id REST request (refused)."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from serving.testing import user_ids

    users = user_ids(SPEC["n_users"])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(
        server.grpc_target, options=[("grpc.max_receive_message_length", 64 << 20)]))
    request = _request([users[i % len(users)] for i in range(rows)])
    before = _rss_mb(server.process.pid)
    start = time.perf_counter()
    stub.Predict(request, timeout=120)
    legal = {"rows": rows, "ms": round((time.perf_counter() - start) * 1e3, 1),
             "rss_growth_mb": round(_rss_mb(server.process.pid) - before, 1)}
    body = json.dumps({"signature_name": F.SIGNATURE_RECOMMEND, "inputs": {
        F.USER_ID: [users[i % len(users)] for i in range(200_000)], F.K: 10,
        F.HISTORY: [[""]] * 200_000, F.EXCLUDE: [[""]] * 200_000}}).encode()
    post = urllib.request.Request(f"{server.rest_url}/v1/models/{MODEL}:predict", data=body,
                                  headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        urllib.request.urlopen(post, timeout=60)
        status, error = 200, ""
    except urllib.error.HTTPError as err:
        status, error = err.code, json.loads(err.read())["error"]
    rest = {"rows": 200_000, "bytes": len(body), "status": status, "error": error,
            "ms": round((time.perf_counter() - start) * 1e3, 1)}
    return legal, rest


def _bad_summary(reports, rows):
    ms = np.concatenate([r["latencies"] for r in reports]) * 1e3
    codes = {}
    for report in reports:
        for code, n in report["codes"].items():
            codes[code] = codes.get(code, 0) + n
    return {"rows": rows, "bytes": reports[0]["bytes"], "requests": int(len(ms)),
            "codes": codes, "message": reports[-1]["message"],
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2)}


def run(duration, rows, rounds, paced_rate, work, model_base=None, server_flags=()):
    """Rounds of (alone, flood, paced) phases on one server; ratios are taken within a round.

    `model_base`: a folder of numbered SavedModel versions (e.g. a pipeline's
    `<serving-dir>/recsys`) served instead of the stand-in; the clients' ids `u0`, `u1`, ...
    are `recsys data synth`'s users. `server_flags`: extra `python -m serving` flags.
    """
    from serving.launcher import start_model_server
    from serving.testing import export_standin

    if model_base is None:
        base = pathlib.Path(work) / MODEL
        export_standin(base, 1, **SPEC)
    else:
        base = pathlib.Path(model_base).resolve()
    kinds = {"alone": (0, 0), "flood": (rows, 0), "paced": (rows, paced_rate)}
    phases = {kind: [] for kind in kinds}
    with start_model_server(base, MODEL, binary="python",
                            extra_flags=["--file_system_poll_wait_seconds=0",
                                         *server_flags]) as server:
        server.wait_until_available(timeout=300)
        _good_clients(server.grpc_target, 2.0)  # warm-up, not reported
        rss_before = _rss_mb(server.process.pid)
        for _ in range(rounds):
            for kind, (n, rate) in kinds.items():
                phases[kind].append(_phase(server, n, rate, duration))
                print(f"{kind}: good p99 {phases[kind][-1]['good']['p99_ms']} ms", flush=True)
        rss_after = _rss_mb(server.process.pid)
        legal, rest = _largest_legal(server, 1024)
        alive = server.process.poll() is None
    peak = max(p["rss_peak_mb"] for runs in phases.values() for p in runs)
    result = {"rounds": rounds, "paced_rate": paced_rate, "phases": {}, "largest_legal": legal,
              "rest_200k": rest, "server_alive": alive,
              "rss_mb": {"before": round(rss_before, 1), "peak": peak,
                         "after": round(rss_after, 1)}}
    for kind, runs in phases.items():
        entry = {"good_p50_ms": [p["good"]["p50_ms"] for p in runs],
                 "good_p99_ms": [p["good"]["p99_ms"] for p in runs],
                 "good_requests": sum(p["good"]["requests"] for p in runs),
                 "good_errors": sum(p["good"]["errors"] for p in runs),
                 "server_cpu_s": [p["server_cpu_s"] for p in runs]}
        if kind != "alone":
            entry["p99_ratio"] = [round(p["good"]["p99_ms"] / a["good"]["p99_ms"], 2)
                                  for p, a in zip(runs, phases["alone"])]
            entry["p99_ratio_median"] = float(np.median(entry["p99_ratio"]))
            entry["bad_client"] = _bad_summary([p["bad"] for p in runs], rows)
        result["phases"][kind] = entry
    return result


def _row(kind, e):
    bad = e.get("bad_client")
    ratio = f"{e['p99_ratio']} ({e['p99_ratio_median']})" if bad else "-"
    refusal = f"{bad['p50_ms']} / {bad['p99_ms']} / {bad['max_ms']}" if bad else "-"
    return (f"| {kind} | {e['good_p50_ms']} | {e['good_p99_ms']} | {ratio} | {e['good_errors']} "
            f"| {e['server_cpu_s']} | {bad['requests'] if bad else '-'} "
            f"| {bad['codes'] if bad else '-'} | {refusal} |")


def write_report(result, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "serving_refusal.json").write_text(json.dumps(result, indent=1))
    rss, legal, rest = result["rss_mb"], result["largest_legal"], result["rest_200k"]
    flood = result["phases"]["flood"]["bad_client"]
    lines = ["# Refusing oversized requests (`bench/bench_refusal.py`)", "",
             f"{result['when']} on {result['machine']}; `python -m serving` with default limits "
             "(--max_batch_size 1024, --max_request_cells 262144) and flags "
             f"{result['server_flags'] or '(none)'}, "
             f"{result['model']}; "
             f"{result['rounds']} rounds of three {result['duration_s']} s phases; {CLIENTS} good "
             "gRPC clients (recommend, 1 user, k=10) in every phase; in `flood` and `paced` a bad "
             f"client in its own process sends {flood['rows']:,} user ids "
             f"({flood['bytes'] / 1e6:.1f} MB) per request, back to back or "
             f"{result['paced_rate']:g}/s. Load average (1 min) {result['load_average_1m'][0]} "
             f"before, {result['load_average_1m'][1]} after.", "",
             "| phase | good p50 ms (per round) | good p99 ms (per round) | p99 / alone "
             "(median) | good errors | server CPU s | bad requests | bad answers "
             "| refusal p50 / p99 / max ms |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(kind, e) for kind, e in result["phases"].items()]
    lines += ["", f"Refusal message: \"{flood['message']}\"", "",
              f"Server RSS: {rss['before']} MB after warm-up, peak {rss['peak']} MB during the "
              f"run (+{round(rss['peak'] - rss['before'], 1)} MB), {rss['after']} MB at the end; "
              f"server alive: {result['server_alive']}.", "",
              f"For scale: one legal {legal['rows']:,}-row request took {legal['ms']} ms, RSS "
              f"+{legal['rss_growth_mb']} MB; a {rest['rows']:,}-id REST request "
              f"({rest['bytes'] / 1e6:.1f} MB JSON) got HTTP {rest['status']} in {rest['ms']} ms "
              "(parsing the JSON is most of it).", "",
              "Refusal latency is the bad client's round trip (sending the 2 MB included). The "
              "machine is shared and every client runs on the server's 2 cores: compare phases "
              "within a round (ratios), not absolute numbers."]
    (out_dir / "serving_refusal.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rows", type=int, default=200_000, help="user ids in the bad request")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (alone, flood, paced)")
    parser.add_argument("--paced-rate", type=float, default=10.0,
                        help="requests per second of the paced bad client")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--model-base-path", default=None,
                        help="serve this folder of SavedModel versions (a pipeline's pushed "
                        "model) instead of the MovieLens-scale stand-in")
    parser.add_argument("--server-flag", action="append", default=[], dest="server_flags",
                        help="extra flag for the server, e.g. --server-flag=--refusal_delay_ms=0 "
                        "(repeatable)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-refusal-") as work:
        result = run(args.duration, args.rows, args.rounds, args.paced_rate, work,
                     args.model_base_path, args.server_flags)
    result["server_flags"] = args.server_flags
    result["model"] = (f"the pushed model {args.model_base_path}" if args.model_base_path
                       else "MovieLens-scale stand-in")
    result.update({"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   "machine": machine.describe(),
                   "duration_s": args.duration,
                   "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)]})
    write_report(result, pathlib.Path(args.out))
    print(pathlib.Path(args.out, "serving_refusal.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
