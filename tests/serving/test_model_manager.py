"""Version watching: hot swap under load, corrupt and half-written versions, policies."""

import shutil
import threading
import time

import grpc
import numpy as np
import pytest
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from rec_model import features as F
from serving.model_config import ServedModel
from serving.model_manager import ModelManager
from serving.server import ModelServer
from serving.server_options import ServerOptions
from serving.tensors import from_proto, to_proto
from tests.serving.conftest import call_reference, free_port, install_version, recommend_inputs


def _wait_for(predicate, what, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _request():
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "m"
    request.model_spec.signature_name = "recommend"
    for key, value in recommend_inputs(users=("u4",), k=5).items():
        request.inputs[key].CopyFrom(to_proto(value))
    return request


def test_hot_swap_under_load_then_corrupt_and_half_written_versions(tmp_path, model_pool):
    import tensorflow as tf

    base = tmp_path / "m"
    base.mkdir()
    install_version(model_pool["v1"], base, 1)
    options = ServerOptions(port=free_port(), rest_api_port=0, model_name="m",
                            model_base_path=str(base), file_system_poll_wait_seconds=0.1)
    with ModelServer(options) as server:
        manager = server.core.managers["m"]
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        failures, answers, stop = [], [], threading.Event()

        def hammer():
            while not stop.is_set():
                try:
                    sent = time.monotonic()
                    answers.append(
                        (sent, stub.Predict(_request(), timeout=30).model_spec.version.value))
                except grpc.RpcError as err:  # any failure counts
                    failures.append(err)

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for thread in threads:
            thread.start()
        _wait_for(lambda: len(answers) >= 10, "requests against version 1")
        install_version(model_pool["v2"], base, 2)
        _wait_for(lambda: manager.versions() == [2], "version 2 to be served")
        swapped, seen = time.monotonic(), len(answers)
        _wait_for(lambda: len(answers) >= seen + 10, "requests after the swap")
        stop.set()
        for thread in threads:
            thread.join()
        assert failures == []
        assert answers[0][1] == 1
        # every request sent after the swap
        assert {v for sent, v in answers if sent > swapped} == {2}
        got = {k: from_proto(v) for k, v in stub.Predict(_request()).outputs.items()}
        want = call_reference(tf.saved_model.load(str(model_pool["v2"])), "recommend",
                              **recommend_inputs(users=("u4",), k=5))
        np.testing.assert_array_equal(got[F.SCORES], want[F.SCORES])

        # A corrupt version (truncated saved_model.pb) is logged and skipped.
        bad = tmp_path / "bad"
        shutil.copytree(model_pool["v2"], bad)
        (bad / "saved_model.pb").write_bytes((bad / "saved_model.pb").read_bytes()[:300])
        bad.rename(base / "3")
        _wait_for(lambda: any(v == 3 and s == "END" for v, s, _, _ in manager.status()),
                  "version 3 to fail")
        (_, _, code, message), = manager.status(3)
        assert code != "OK" and "saved_model.pb" in message
        assert manager.versions() == [2]
        assert stub.Predict(_request()).model_spec.version.value == 2

        # A half-written version (no variables yet) is skipped, then loaded once complete.
        half = base / "4"
        half.mkdir()
        shutil.copy(model_pool["v1"] / "saved_model.pb", half / "saved_model.pb")
        _wait_for(lambda: manager.status(4)[0][1] == "END" if 4 in dict(
            (v, s) for v, s, _, _ in manager.status()) else False, "version 4 to fail")
        assert manager.versions() == [2]
        shutil.copytree(model_pool["v1"] / "variables", half / "variables")
        _wait_for(lambda: manager.versions() == [4], "completed version 4 to load")
        assert stub.Predict(_request()).model_spec.version.value == 4
        channel.close()


def test_policies_and_labels(tmp_path, model_pool):
    base = tmp_path / "m"
    base.mkdir()
    for version in (1, 2, 5):
        install_version(model_pool["v1"], base, version)
    (base / "not-a-version").mkdir()
    latest2 = ModelManager(ServedModel("m", str(base), num_versions=2, labels=(("stable", 2),)),
                           warmup=False)
    assert latest2.poll_once() == [5, 2]
    assert latest2.resolve().version == 5
    assert latest2.resolve(label="stable").version == 2
    with pytest.raises(Exception, match="no version label"):
        latest2.resolve(label="canary")
    specific = ModelManager(ServedModel("m", str(base), policy="specific", versions=(1,)),
                            warmup=False)
    assert specific.poll_once() == [1]
    shutil.rmtree(base / "5")
    assert latest2.poll_once() == [2, 1]


def test_missing_base_path_serves_nothing_yet(tmp_path):
    manager = ModelManager(ServedModel("m", str(tmp_path / "absent")))
    assert manager.poll_once() == []
    with pytest.raises(Exception, match="no loaded version yet"):
        manager.resolve()
