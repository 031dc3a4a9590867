"""Tests of components/batch_scorer/loaded_model.py."""

import os

import numpy as np

from components.batch_scorer import loaded_model
from rec_model import features as F


def test_one_call_returns_numpy_outputs_and_honours_exclude(standin_base):
    model = loaded_model.LoadedRecommend(os.path.join(standin_base, "1"), threads=1)
    out = loaded_model.recommend_batch(model, ["u1", "stranger"], 4, [["i0", "i1"], []])
    assert out[F.ITEM_IDS].shape == (2, 4) and out[F.SCORES].dtype == np.float32
    assert not {b"i0", b"i1"} & set(out[F.ITEM_IDS][0])
    assert out[F.AGENT_SCORES].shape == (2, 4, 2)


def test_padding_is_rectangular_and_at_least_one_wide():
    assert loaded_model.pad([[], []]).shape == (2, 1)
    assert loaded_model.pad([["a"], ["b", "c"]]).tolist() == [[b"a", b""], [b"b", b"c"]]


def test_fast_exit_only_inside_beam_worker_processes():
    assert loaded_model.skip_teardown_in_beam_worker() is False  # pytest is not a Beam worker.
