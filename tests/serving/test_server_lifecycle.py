"""Process lifecycle: launcher, SIGTERM drain, `recsys serve` flags, batching, multi-model
config.
"""

import threading
import time

import numpy as np
import pytest

from rec_model import features as F
from serving.client import RecommendClient
from serving.launcher import start_model_server
from serving.server import ModelServer
from serving.server_options import ServerOptions
from tests.serving.conftest import free_port


def test_stop_drains_in_flight_requests(base_path, monkeypatch):
    options = ServerOptions(port=free_port(), rest_api_port=free_port(), model_name="m",
                            model_base_path=str(base_path), file_system_poll_wait_seconds=0)
    server = ModelServer(options).start()
    servable = server.core.managers["m"].resolve()
    started, real_run = threading.Event(), servable.run

    def slow_run(*args, **kwargs):
        started.set()
        time.sleep(1.0)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(servable, "run", slow_run)
    results = {}

    def call(protocol, port):
        try:
            with RecommendClient(f"127.0.0.1:{port}", "m", protocol=protocol,
                                 timeout=30) as client:
                results[protocol] = client.recommend(["u1"], k=3)
        except Exception as err:  # noqa: BLE001 - recorded for the assertion
            results[protocol] = err

    threads = [threading.Thread(target=call, args=("grpc", server.grpc_port)),
               threading.Thread(target=call, args=("rest", server.rest_port))]
    for thread in threads:
        thread.start()
    assert started.wait(30)
    time.sleep(0.2)  # let both requests reach the model
    server.stop(grace=30)
    for thread in threads:
        thread.join()
    assert [len(results[p][0][F.ITEM_IDS]) for p in ("grpc", "rest")] == [3, 3], results
    with pytest.raises(Exception):
        RecommendClient(f"127.0.0.1:{server.grpc_port}", "m", timeout=2).status()


def test_launcher_python_server_and_sigterm(base_path):
    with start_model_server(base_path, "m", binary="python",
                            extra_flags=["--file_system_poll_wait_seconds=1"]) as handle:
        handle.wait_until_available(timeout=120)
        assert handle.kind == "python"
        rows = RecommendClient(handle.grpc_target, "m").recommend(["u1"], k=2)
        assert len(rows[0][F.ITEM_IDS]) == 2
        assert handle.stop() == 0  # SIGTERM -> graceful exit code 0
    assert "draining" in handle.log_tail(50)


def test_launcher_reports_a_server_that_dies(tmp_path):
    handle = start_model_server(tmp_path, "m", binary="python", extra_flags=["--no_such_flag=1"],
                                log_path=tmp_path / "server.log")
    with handle, pytest.raises(RuntimeError, match="exited with code"):
        handle.wait_until_available(timeout=60)


def test_serve_flags_accept_tf_serving_and_dashed_spellings():
    import argparse

    from serving.server_options import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    a = ServerOptions.from_args(parser.parse_args(["--model_base_path=/m", "--model_name=x",
                                                   "--rest_api_port=0", "--enable_batching=true"]))
    b = ServerOptions.from_args(parser.parse_args(["--model-base-path", "/m", "--model-name", "x",
                                                   "--rest-api-port", "0", "--enable-batching"]))
    assert a == b and a.enable_batching and a.host == "127.0.0.1"
    assert (a.tensorflow_intra_op_parallelism, a.tensorflow_inter_op_parallelism) == (0, -1)
    c = ServerOptions.from_args(parser.parse_args(["--model_base_path=/m",
                                                   "--tensorflow_intra_op_parallelism=2",
                                                   "--tensorflow-inter-op-parallelism", "0"]))
    assert (c.tensorflow_intra_op_parallelism, c.tensorflow_inter_op_parallelism) == (2, 0)
    with pytest.raises(ValueError, match="--model_base_path"):
        ServerOptions.from_args(parser.parse_args([]))


def test_batching_gives_the_same_answers(base_path, tmp_path, reference):
    from tests.serving.conftest import call_reference, recommend_inputs

    params = tmp_path / "batching.txt"
    params.write_text("max_batch_size { value: 8 }\nbatch_timeout_micros { value: 20000 }\n"
                      "num_batch_threads { value: 1 }\n")
    options = ServerOptions(port=free_port(), rest_api_port=0, model_name="m",
                            model_base_path=str(base_path),
                            file_system_poll_wait_seconds=0, enable_batching=True,
                            batching_parameters_file=str(params))
    users = [f"u{i}" for i in range(6)] + ["stranger"]
    histories = [[], ["i1"], ["i1", "i2", "i3"], [], ["i9"], [], ["i4", "i5"]]
    with ModelServer(options) as server:
        calls = server.core.managers["m"].resolve()
        results = [None] * len(users)

        def call(i):
            with RecommendClient(f"127.0.0.1:{server.grpc_port}", "m") as client:
                results[i] = client.recommend([users[i]], k=3 + i % 2, history=[histories[i]])[0]

        threads = [threading.Thread(target=call, args=(i,)) for i in range(len(users))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert calls.model_name == "m"
    for i, row in enumerate(results):
        padded = [histories[i] + [""] * (3 - len(histories[i]))]
        want = call_reference(reference, "recommend",
                              **recommend_inputs(users=(users[i],), k=3 + i % 2, history=padded,
                                                 exclude=[[""]]))
        assert row[F.ITEM_IDS] == [v.decode() for v in want[F.ITEM_IDS][0]]
        np.testing.assert_allclose(row[F.SCORES], want[F.SCORES][0], rtol=1e-6)
        assert row[F.AGENT_NAMES] == ["collaborative", "popularity"]


def test_model_config_file_serves_several_models(base_path, tmp_path):
    from serving.model_config import ServedModel, to_text

    config = tmp_path / "models.config"
    config.write_text(to_text([ServedModel("a", str(base_path)),
                               ServedModel("b", str(base_path))]))
    options = ServerOptions(port=free_port(), rest_api_port=free_port(),
                            model_config_file=str(config), file_system_poll_wait_seconds=0)
    with ModelServer(options) as server:
        for name in ("a", "b"):
            assert RecommendClient(f"127.0.0.1:{server.rest_port}", name,
                                   "rest").status()[0]["state"] == "AVAILABLE"
