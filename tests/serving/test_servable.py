"""Servable: a SavedModel version run the way TF Serving runs it (one Session, signature
tensors).
"""

import concurrent.futures
import logging

import numpy as np
import pytest

from rec_model import features as F
from serving.errors import ServingError
from serving.servable import Servable
from serving.session_options import SessionOptions
from tests.serving.conftest import call_reference, recommend_inputs


@pytest.fixture(scope="module", params=[SessionOptions(), SessionOptions(1, -1)],
                ids=["tf-threads", "caller-thread"])
def servable(request, model_pool):
    return Servable("m", 1, model_pool["v1"], request.param)


def test_every_signature_matches_the_tf2_loaded_model(servable, reference):
    inputs = recommend_inputs(history=[["i1", "i2"], ["", ""]], exclude=[["i3", ""], ["i4", "i5"]])
    got, want = (servable.run(F.SIGNATURE_RECOMMEND, inputs),
                 call_reference(reference, F.SIGNATURE_RECOMMEND, **inputs))
    assert set(got) == set(want)
    for key in want:
        if want[key].dtype == object:
            assert got[key].tolist() == want[key].tolist()
        else:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-6)
    score_in = {F.USER_ID: np.array([b"u1"], object),
                F.ITEM_IDS: np.array([[b"i0", b"i7", b"nope"]], object)}
    np.testing.assert_allclose(servable.run(F.SIGNATURE_SCORE, score_in)[F.SCORES],
                               call_reference(reference, F.SIGNATURE_SCORE, **score_in)[F.SCORES],
                               rtol=1e-6)


def test_output_filter_returns_only_the_named_outputs(servable):
    out = servable.run(F.SIGNATURE_RECOMMEND, recommend_inputs(k=3), (F.ITEM_IDS,))
    assert list(out) == [F.ITEM_IDS] and out[F.ITEM_IDS].shape == (2, 3)
    both = servable.run(F.SIGNATURE_RECOMMEND, recommend_inputs(k=3), (F.SCORES, F.ITEM_IDS))
    assert list(both) == [F.SCORES, F.ITEM_IDS]


def test_concurrent_requests_get_their_own_answers(servable):
    users = [f"u{i}" for i in range(12)]
    alone = {u: servable.run(F.SIGNATURE_RECOMMEND,
                             recommend_inputs((u,), k=4))[F.ITEM_IDS].tolist()
             for u in users}
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        together = list(pool.map(
            lambda u: servable.run(F.SIGNATURE_RECOMMEND,
                                   recommend_inputs((u,), k=4))[F.ITEM_IDS].tolist(),
            users * 5))
    assert together == [alone[u] for u in users * 5]


def test_model_errors_are_invalid_argument_and_the_servable_keeps_working(servable):
    with pytest.raises(ServingError, match="k must be >= 1") as err:
        servable.run(F.SIGNATURE_RECOMMEND, recommend_inputs(k=0))
    assert err.value.code.name == "INVALID_ARGUMENT"
    bad = dict(recommend_inputs(), **{F.K: np.int64(3)})
    with pytest.raises(ServingError, match="must be DT_INT32"):
        servable.run(F.SIGNATURE_RECOMMEND, bad)
    assert servable.run(F.SIGNATURE_RECOMMEND, recommend_inputs(k=2))[F.ITEM_IDS].shape == (2, 2)


def test_session_options_validate():
    with pytest.raises(ValueError, match="intra_op_parallelism"):
        SessionOptions(intra_op_parallelism=-1)
    proto = SessionOptions(2, -1).config_proto()
    assert (proto.intra_op_parallelism_threads, proto.inter_op_parallelism_threads) == (2, -1)


def test_loading_logs_no_deprecation_warning(model_pool, caplog):
    with caplog.at_level(logging.WARNING):
        Servable("m", 1, model_pool["v1"])
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]
