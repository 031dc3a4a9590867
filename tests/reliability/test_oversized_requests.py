"""A 200,000-id request against a server process with default flags (part 4 of the scale issue).

Before the limits, one such gRPC `recommend` (2 MB, inside the 16 MiB message limit) drove the
server past 24 GB until the kernel killed it. Now it is refused with RESOURCE_EXHAUSTED naming
`--max_batch_size`, over gRPC and REST, the server's RSS barely moves, and clients sending
well-formed requests at the same time get every answer. Latencies are measured by
bench/bench_refusal.py, not asserted here.
"""

import json
import threading

import numpy as np
import pytest

from rec_model import features as F
from tests.reliability import server_helpers as H

BIG_ROWS = 200_000
GOOD_CLIENTS = 4
RSS_GROWTH_LIMIT = 200 << 20


@pytest.fixture(scope="module")
def default_server(tmp_path_factory, standin_pool):
    """`python -m serving` with every limit at its default (16 MiB messages, 1,024 rows)."""
    from serving.launcher import start_model_server

    root = tmp_path_factory.mktemp("defaults")
    base = root / "models" / H.MODEL
    base.mkdir(parents=True)
    H.push_version(standin_pool[1], base, 1)
    handle = start_model_server(base, H.MODEL, binary="python", log_path=root / "server.log",
                                extra_flags=["--file_system_poll_wait_seconds=0"])
    with handle:
        yield handle.wait_until_available(timeout=180)


def _big_request():
    users = [f"u{i % H.N_USERS}" for i in range(BIG_ROWS)]
    request = H.recommend_request(users[:1])
    blank = np.full((BIG_ROWS, 1), b"", dtype=object)
    request.inputs[F.USER_ID].CopyFrom(H.tensor(np.array([u.encode() for u in users], object)))
    request.inputs[F.HISTORY].CopyFrom(H.tensor(blank))
    request.inputs[F.EXCLUDE].CopyFrom(H.tensor(blank))
    return request


def _good_client(target, stop, answers, index):
    channel, stub = H.stub(target)
    with channel:
        while not stop.is_set():
            code, _ = H.grpc_code(stub.Predict, H.recommend_request((f"u{index}",), k=5))
            answers.append(code)


def test_200k_ids_refused_while_other_clients_are_served(default_server):
    request = _big_request()
    assert request.ByteSize() < 16 << 20  # inside the message limit: the row limit must refuse it
    stop, answers = threading.Event(), []
    target = default_server.grpc_target
    clients = [threading.Thread(target=_good_client, args=(target, stop, answers, i))
               for i in range(GOOD_CLIENTS)]
    for thread in clients:
        thread.start()
    rss_before = H.rss_bytes(default_server.process.pid)
    channel, stub = H.stub(default_server.grpc_target)
    with channel:
        refusals = [H.grpc_code(stub.Predict, request) for _ in range(3)]
    rss_growth = H.rss_bytes(default_server.process.pid) - rss_before
    stop.set()
    for thread in clients:
        thread.join()
    for code, details in refusals:
        assert code == "RESOURCE_EXHAUSTED", details
        assert f"{BIG_ROWS:,} rows" in details and "--max_batch_size" in details
    assert rss_growth < RSS_GROWTH_LIMIT, f"RSS grew {rss_growth >> 20} MB"
    assert answers and set(answers) == {"OK"}, sorted(set(answers))
    H.assert_healthy(default_server)


def test_200k_ids_over_rest_answer_413(default_server):
    users = [f"u{i % H.N_USERS}" for i in range(BIG_ROWS)]
    body = {"signature_name": F.SIGNATURE_RECOMMEND,
            "inputs": {F.USER_ID: users, F.K: 5, F.HISTORY: [[""]] * BIG_ROWS,
                       F.EXCLUDE: [[""]] * BIG_ROWS}}
    rss_before = H.rss_bytes(default_server.process.pid)
    raw = H.http_request("POST", b"/v1/models/m:predict", json.dumps(body).encode())
    status, _, answer = H.raw_http(default_server.rest_port, raw)
    assert status == 413, answer[:300]
    error = json.loads(answer)["error"]
    assert f"{BIG_ROWS:,} rows" in error and "--max_batch_size" in error
    assert H.rss_bytes(default_server.process.pid) - rss_before < RSS_GROWTH_LIMIT
    H.assert_healthy(default_server)
