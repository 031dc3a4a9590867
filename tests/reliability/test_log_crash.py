"""Feedback and request logs under SIGKILL: no corrupt record read back, no acknowledged
record lost.

A writer process appends records in a loop and prints each record's id after the append
returned (its acknowledgement); the test SIGKILLs it mid-loop, restarts it on the same
folder a few times, plants a torn line as a crash mid-write would leave, and reads back.
"""

import os
import pathlib
import signal
import subprocess
import sys

import pytest

from rec_model import features as F
from serving import feedback_log
from serving.request_log import read_request_log

REPO = pathlib.Path(__file__).resolve().parents[2]
ACKS_BEFORE_KILL = 200
ROUNDS = 3

WRITER = r"""
import sys
kind, directory, fsync = sys.argv[1], sys.argv[2], sys.argv[3]
start, pad = int(sys.argv[4]), int(sys.argv[5])
if kind == "feedback":
    from serving.feedback_log import FeedbackLog
    log = FeedbackLog(directory, max_bytes=256 << 10, fsync=fsync)
    write = log.append
else:
    from serving.request_log import RequestLogger
    log = RequestLogger(directory, max_bytes=256 << 10, fsync=fsync)
    write = log.log
n = start
while True:
    write({"request_id": f"r{n}", "user_id": f"u{n}", "item_id": f"i{n}",
           "pad": "x" * (n * 7919 % pad)})
    sys.stdout.write(f"{n}\n")
    sys.stdout.flush()
    n += 1
"""


def expected(n: int, pad: int) -> dict:
    return {"request_id": f"r{n}", "user_id": f"u{n}", "item_id": f"i{n}",
            "pad": "x" * (n * 7919 % pad)}


def run_and_kill(kind, directory, fsync, start, pad) -> list[int]:
    """Runs the writer until ACKS_BEFORE_KILL acks, SIGKILLs it; returns every id it
    acknowledged.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, kind, str(directory), fsync, str(start),
                             str(pad)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    acked = []
    try:
        for line in proc.stdout:
            acked.append(int(line))
            if len(acked) >= ACKS_BEFORE_KILL:
                os.kill(proc.pid, signal.SIGKILL)
                break
        # Acks already in the pipe when the kill landed count too.
        acked += [int(line) for line in proc.stdout.read().split()]
    finally:
        proc.kill()
        proc.wait()
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, stderr
    return acked


def plant_torn_line(directory, pattern):
    """Appends half a record to the newest file, as a crash inside a write would leave it."""
    newest = feedback_log.log_files(directory, pattern)[-1]
    with open(newest, "ab") as f:
        f.write(b'{"request_id": "torn", "user_id": "u')


@pytest.mark.parametrize("kind", ["feedback", "request"])
@pytest.mark.parametrize("fsync", ["always", "rotate"])
def test_sigkilled_writer_loses_no_acked_record_and_reads_back_no_corrupt_one(
        tmp_path, kind, fsync):
    pattern = feedback_log.FILE_GLOB if kind == "feedback" else "requests-*.jsonl"
    pad = 3000  # records of 0..3 kB: rotations (256 kB files) happen during the run
    acked, start = [], 0
    for round_ in range(ROUNDS):
        got = run_and_kill(kind, tmp_path, fsync, start, pad)
        assert len(got) >= ACKS_BEFORE_KILL
        acked += got
        start = max(got) + 2  # the id after the last ack may be on disk un-acked
        if round_ == 0:
            plant_torn_line(tmp_path, pattern)

    if kind == "feedback":
        records = list(feedback_log.read_feedback(tmp_path))
        _, _, corrupt = feedback_log.read_new_records(tmp_path, {})
    else:
        stats = {}
        records = list(read_request_log(tmp_path, stats))
        corrupt = stats["corrupt"]
    ids = [int(r["request_id"][1:]) for r in records]
    assert len(ids) == len(set(ids)), "a record was read back twice"
    assert all(r == expected(n, pad) for n, r in zip(ids, records)), (
        "a corrupt record was read back")
    lost = sorted(set(acked) - set(ids))
    assert not lost, f"{len(lost)} acknowledged records lost, e.g. {lost[:5]}"
    assert len(set(ids) - set(acked)) <= ROUNDS  # at most the one in flight per kill
    assert corrupt >= 1  # the planted torn line is skipped and counted
    n_files = len(feedback_log.log_files(tmp_path, pattern))
    assert n_files > ROUNDS  # rotation happened
    print(f"\n{kind} fsync={fsync}: {ROUNDS} SIGKILLs, {len(acked)} acked, "
          f"{len(ids)} read back, 0 lost, "
          f"{corrupt} torn line(s) skipped, {n_files} files")


def test_request_log_reader_skips_and_counts_torn_lines(tmp_path):
    (tmp_path / "requests-20260101T000000Z-1-00001.jsonl").write_bytes(
        b'{"request_id": "a"}\n{"request_id": "b", "us\n[1, 2]\n'
        b'{"request_id": "c"}\n{"request_id": "d", "x')
    stats = {}
    assert [r["request_id"] for r in read_request_log(tmp_path, stats)] == ["a", "c"]
    assert stats == {"corrupt": 3}  # a torn line, a non-object line, a torn last line


def test_sigkilled_server_loses_no_acknowledged_request_or_feedback_record(tmp_path, standin_pool):
    """The server itself is SIGKILLed while clients get recommendations and post feedback.

    Acks: a recommendation's request id (gRPC trailer) once the call returned, a feedback
    record once POST /v1/feedback answered 200. Default durability flags of the server.
    """
    import threading

    from serving.client import RecommendClient
    from serving.launcher import start_model_server
    from tests.reliability import server_helpers as H

    base = tmp_path / "models" / H.MODEL
    base.mkdir(parents=True)
    H.push_version(standin_pool[1], base, 1)
    requests_dir, feedback_dir = tmp_path / "requests", tmp_path / "feedback"
    handle = start_model_server(base, H.MODEL, binary="python", log_path=tmp_path / "server.log",
                                extra_flags=[f"--request_log_dir={requests_dir}",
                                             f"--feedback_log_dir={feedback_dir}",
                                             "--file_system_poll_wait_seconds=0"])
    acked_requests, acked_feedback, stop = {}, [], threading.Event()

    def recommend(index):
        with RecommendClient(handle.grpc_target, H.MODEL, timeout=30) as client:
            n = 0
            while not stop.is_set():
                user = f"u{(index + n) % H.N_USERS}"
                n += 1
                try:
                    rows = client.recommend([user], k=4)
                except Exception:  # noqa: BLE001 - calls in flight at the kill fail; never acked
                    return
                acked_requests[client.last_request_id] = (user, rows[0][F.ITEM_IDS])

    def feedback(index):
        n = 0
        while not stop.is_set():
            payload = {"request_id": f"f{index}-{n}", "user_id": f"u{n}", "item_id": f"i{n}",
                       "event": "click"}
            try:
                status, _ = H.rest_json(handle.rest_port, "POST", "/v1/feedback", payload,
                                        timeout=30)
            except Exception:  # noqa: BLE001
                return
            if status == 200:
                acked_feedback.append(payload["request_id"])
            n += 1

    with handle:
        handle.wait_until_available(timeout=180)
        threads = [threading.Thread(target=recommend, args=(i,)) for i in range(4)]
        threads += [threading.Thread(target=feedback, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        while (len(acked_requests) + len(acked_feedback) < 400
               and all(t.is_alive() for t in threads)):
            threading.Event().wait(0.05)
        os.kill(handle.process.pid, signal.SIGKILL)
        handle.process.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    stats = {}
    logged = {r["request_id"]: r for r in read_request_log(requests_dir, stats)}
    missing = [rid for rid in acked_requests if rid not in logged]
    assert acked_requests and not missing, (
        f"{len(missing)} of {len(acked_requests)} acked requests not logged")
    for rid, (user, items) in acked_requests.items():
        assert logged[rid]["user_ids"] == [user] and logged[rid]["item_ids"] == [items]
    stored = [r["request_id"] for r in feedback_log.read_feedback(feedback_dir)]
    assert acked_feedback and not set(acked_feedback) - set(stored)
    assert len(stored) == len(set(stored))
    print(f"\nserver SIGKILL: {len(acked_requests)} acked recommendations all logged "
          f"({len(logged)} logged, {stats['corrupt']} torn); "
          f"{len(acked_feedback)} acked feedback all stored ({len(stored)} stored)")
