"""Batcher: full batches run as one call, outputs split back, incompatible requests kept apart."""

import threading

import numpy as np
from tensorflow.core.protobuf import meta_graph_pb2

from serving.batcher import Batcher
from serving.batching_config import BatchingParameters
from serving.request_limits import RequestLimits


class FakeServable:
    """Signature `f`: x string [?, ?], k int32 [] -> rows [?, ?] (echo), names [2]."""

    def __init__(self):
        sig = meta_graph_pb2.SignatureDef()
        sig.inputs["x"].tensor_shape.dim.add(size=-1)
        sig.inputs["x"].tensor_shape.dim.add(size=-1)
        sig.inputs["k"].tensor_shape.SetInParent()
        sig.outputs["rows"].tensor_shape.dim.add(size=-1)
        sig.outputs["names"].tensor_shape.dim.add(size=2)
        self.sig, self.calls = sig, []

    def signature(self, name):
        return self.sig

    def run(self, signature, inputs, output_filter=()):
        self.calls.append({k: v.copy() for k, v in inputs.items()})
        return {"rows": inputs["x"], "names": np.array([b"a", b"b"], object)}


def _submit(batcher, servable, requests):
    results = [None] * len(requests)

    def go(i):
        results[i] = batcher.run(servable, "f", requests[i])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_full_batch_is_one_call_with_padding_and_split():
    servable = FakeServable()
    batcher = Batcher(BatchingParameters(max_batch_size=4, batch_timeout_micros=30_000_000,
                                         num_batch_threads=1))
    requests = [{"x": np.array([[b"r%d" % i] * (1 + i % 2)], object), "k": np.int32(3)}
                for i in range(4)]
    results = _submit(batcher, servable, requests)
    batcher.stop()
    assert len(servable.calls) == 1 and servable.calls[0]["x"].shape == (4, 2)
    for i, result in enumerate(results):
        assert result["rows"].shape == (1, 2) and result["rows"][0, 0] == b"r%d" % i
        assert result["names"].tolist() == [b"a", b"b"]  # not split although 2 == ...


def test_different_scalars_never_share_a_batch():
    servable = FakeServable()
    batcher = Batcher(BatchingParameters(max_batch_size=2, batch_timeout_micros=200_000,
                                         num_batch_threads=2))
    requests = [{"x": np.array([[b"a"]], object), "k": np.int32(k)} for k in (1, 2)]
    _submit(batcher, servable, requests)
    batcher.stop()
    assert sorted(int(call["k"]) for call in servable.calls) == [1, 2]
    assert all(call["x"].shape[0] == 1 for call in servable.calls)


def test_merged_batches_stay_inside_the_request_limits():
    """Rows, padded cells and rows x k of a merged batch: each within the server's limits."""
    servable = FakeServable()
    params = BatchingParameters(max_batch_size=8, batch_timeout_micros=2_000_000,
                                num_batch_threads=1)
    batcher = Batcher(params, RequestLimits(max_batch_size=2, max_request_cells=12))
    # Six 1-row requests, one with 10 values: padding it onto another would make [2, 10] = 20
    # cells (> 12), so it runs alone; the short ones share batches of at most 2 rows.
    requests = [{"x": np.array([[b"a"] * (10 if i == 0 else 1)], object), "k": np.int32(1)}
                for i in range(6)]
    results = _submit(batcher, servable, requests)
    batcher.stop()
    shapes = [call["x"].shape for call in servable.calls]
    assert (1, 10) in shapes and all(rows <= 2 and rows * width <= 12 for rows, width in shapes)
    assert (2, 1) in shapes and sum(rows for rows, _ in shapes) == 6
    assert [r["rows"].shape[1] for r in results] == [10, 1, 1, 1, 1, 1]
    servable.calls.clear()
    batcher = Batcher(params, RequestLimits(max_batch_size=8, max_request_cells=12))
    _submit(batcher, servable, [{"x": np.array([[b"a"]], object), "k": np.int32(5)}] * 4)
    batcher.stop()
    rows = [call["x"].shape[0] for call in servable.calls]
    assert sum(rows) == 4 and max(rows) == 2  # 2 rows x k=5 <= 12 < 3 rows x k=5


def test_batching_parameters_text_round_trip_and_errors():
    import pytest

    params = BatchingParameters(max_batch_size=16, batch_timeout_micros=500, num_batch_threads=3)
    assert BatchingParameters.from_text(params.to_text()) == params
    with pytest.raises(ValueError, match="batch.txt:2"):
        BatchingParameters.from_text("max_batch_size { value: 4 }\nthread_pool_name { value: 3 }",
                                     "batch.txt")
    with pytest.raises(ValueError, match="must be >= 1"):
        BatchingParameters.from_text("max_batch_size { value: 0 }")
