"""Serving under load while versions are pushed: 16 gRPC clients, 3 good pushes, 1 corrupt one.

Zero failed requests, the corrupt version never answers (checked on
`PredictResponse.model_spec.version`), each client only ever moves forward in versions, old
versions are unloaded, and the server's RSS after the run stays close to its RSS after warm-up.
"""

import collections
import threading
import time

import pytest

from rec_model import features as F
from tests.reliability import server_helpers as H

CLIENTS = 16
SLOW_SECONDS = 60.0
FAST_SECONDS = 10.0
# (fraction of the run, version, corrupt)
PUSHES = [(0.2, 2, False), (0.35, 3, True), (0.5, 4, False), (0.65, 5, False)]
CORRUPT = 3
LAST = 5
WARMUP_FRACTION = 0.15
RSS_RATIO, RSS_SLACK = 1.5, 200 << 20


def _client(target, stop, out, index):
    channel, stub = H.stub(target)
    versions, errors, n = [], [], 0
    with channel:
        while not stop.is_set():
            users = (f"u{(index + n) % H.N_USERS}", f"u{(index * 7 + n) % H.N_USERS}")
            code, response = H.grpc_code(stub.Predict, H.recommend_request(users, k=5),
                                         timeout=120)
            n += 1
            if code != "OK":
                errors.append(f"{code}: {response}")
                continue
            items = response.outputs[F.ITEM_IDS]
            if [d.size for d in items.tensor_shape.dim] != [2, 5]:
                errors.append(f"bad shape {items.tensor_shape}")
            versions.append(response.model_spec.version.value)
    out[index] = (versions, errors)


def run_load(tmp_path, pool, seconds):
    from serving.launcher import start_model_server

    base = tmp_path / "models" / H.MODEL
    base.mkdir(parents=True)
    H.push_version(pool[1], base, 1)
    handle = start_model_server(base, H.MODEL, binary="python", log_path=tmp_path / "server.log",
                                extra_flags=["--file_system_poll_wait_seconds=0.5",
                                             f"--grpc_max_threads={CLIENTS}"])
    with handle:
        handle.wait_until_available(timeout=180)
        stop, results = threading.Event(), {}
        threads = [threading.Thread(target=_client, args=(handle.grpc_target, stop, results, i))
                   for i in range(CLIENTS)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(seconds * WARMUP_FRACTION)
        rss_warm = H.rss_bytes(handle.process.pid)
        for fraction, version, corrupt in PUSHES:
            time.sleep(max(0.0, start + fraction * seconds - time.monotonic()))
            H.push_version(pool[version], base, version, corrupt=corrupt)
        time.sleep(max(0.0, start + seconds - time.monotonic()))
        # Keep the load on until the last version answers (bounded), so the run always sees it.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and handle.process.poll() is None:
            status, body = H.rest_json(handle.rest_port, "GET", f"/v1/models/{H.MODEL}")
            if any(row["version"] == str(LAST) and row["state"] == "AVAILABLE"
                   for row in body["model_version_status"]):
                break
            time.sleep(0.5)
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=180)
        elapsed = time.monotonic() - start
        rss_end = H.rss_bytes(handle.process.pid)
        status, body = H.rest_json(handle.rest_port, "GET", f"/v1/models/{H.MODEL}")
        alive = handle.process.poll() is None
        log_tail = handle.log_tail(80)
    return results, rss_warm, rss_end, body["model_version_status"], elapsed, alive, log_tail


def check_load(results, rss_warm, rss_end, states, elapsed, alive, log_tail):
    assert alive, log_tail
    assert len(results) == CLIENTS
    errors = [e for _, errs in results.values() for e in errs]
    counts = collections.Counter(v for versions, _ in results.values() for v in versions)
    n = sum(counts.values())
    print(f"\nload: {CLIENTS} clients, {elapsed:.1f} s, {n} requests ({n / elapsed:.0f}/s), "
          f"{len(errors)} failed; by version {dict(sorted(counts.items()))}; "
          f"RSS warm {rss_warm / 2**20:.0f} MiB -> end {rss_end / 2**20:.0f} MiB")
    assert not errors, errors[:5]
    assert CORRUPT not in counts
    assert set(counts) <= {1, 2, 4, 5} and LAST in counts
    for versions, _ in results.values():  # a client never goes back to an older version
        assert versions == sorted(versions)
    by_version = {int(row["version"]): row for row in states}
    assert by_version[CORRUPT]["state"] == "END" and by_version[CORRUPT]["status"]["error_message"]
    # old ones unloaded
    assert [v for v, row in by_version.items() if row["state"] == "AVAILABLE"] == [LAST]
    assert rss_end < max(RSS_RATIO * rss_warm, rss_warm + RSS_SLACK), (rss_warm, rss_end)


def test_load_with_pushes_and_a_corrupt_version_fast(tmp_path, standin_pool):
    check_load(*run_load(tmp_path, standin_pool, FAST_SECONDS))


@pytest.mark.slow
def test_load_with_pushes_and_a_corrupt_version_60s(tmp_path, standin_pool):
    check_load(*run_load(tmp_path, standin_pool, SLOW_SECONDS))
