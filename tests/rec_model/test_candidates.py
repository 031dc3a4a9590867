import numpy as np
import pytest
import tensorflow as tf

from rec_model import auto_settings
from rec_model import candidates as cand
from rec_model.candidates import PAD

N = 10  # catalogue size


def _ragged(rows, dtype=tf.int32):
    return tf.ragged.constant(rows, dtype=dtype, ragged_rank=1)


def _unique_reference(row):
    out = []
    for i in row:
        if i >= 0 and i not in out:
            out.append(i)
    return out


def test_unique_per_row_keeps_first_appearance_order_and_pads():
    ids = np.array([[3, 1, 3, PAD, 1, 7], [PAD, PAD, PAD, PAD, PAD, PAD], [9, 9, 0, 0, 2, 9]])
    out = cand.unique_per_row(tf.constant(ids, tf.int32), N).numpy()
    assert out.dtype == np.int32 and out.shape == (3, 3)
    for got, row in zip(out, ids):
        want = _unique_reference(row)
        assert got[:len(want)].tolist() == want and np.all(got[len(want):] == PAD)


def test_unique_per_row_min_width_and_random_reference():
    out = cand.unique_per_row(tf.constant([[2, 2]], tf.int32), N, min_width=4).numpy()
    assert out.tolist() == [[2, PAD, PAD, PAD]]
    rng = np.random.default_rng(0)
    ids = rng.integers(-1, N, size=(8, 15))
    out = cand.unique_per_row(tf.constant(ids, tf.int32), N).numpy()
    for got, row in zip(out, ids):
        assert got[got >= 0].tolist() == _unique_reference(row)


def test_sum_at_sums_repeated_ids_and_gives_zero_to_pad_and_missing():
    pair_ids = _ragged([[1, 2, 1], [], [PAD, 4]])
    values = _ragged([[0.5, 2.0, 1.5], [], [9.0, 3.0]], tf.float32)
    candidates = tf.constant([[1, 2, 3, PAD], [1, 1, PAD, PAD], [4, 0, 9, 4]], tf.int32)
    out = cand.sum_at(pair_ids, values, candidates, N).numpy()
    np.testing.assert_allclose(out, [[2.0, 2.0, 0, 0], [0, 0, 0, 0], [3.0, 0, 0, 3.0]])


def test_sum_at_matches_a_dense_reference():
    rng = np.random.default_rng(1)
    rows = [rng.integers(0, N, rng.integers(0, 12)).tolist() for _ in range(6)]
    vals = [rng.normal(size=len(r)).tolist() for r in rows]
    candidates = rng.integers(-1, N, size=(6, 7))
    out = cand.sum_at(_ragged(rows), _ragged(vals, tf.float32),
                      tf.constant(candidates, tf.int32), N).numpy()
    for b in range(6):
        dense = np.zeros(N)
        np.add.at(dense, np.array(rows[b], int), np.array(vals[b]))
        want = np.where(candidates[b] >= 0, dense[np.maximum(candidates[b], 0)], 0.0)
        np.testing.assert_allclose(out[b], want, atol=1e-5)


@pytest.mark.parametrize("entries", [1000, cand.SERIAL_SUM_ENTRIES, 3 * cand.SERIAL_SUM_ENTRIES])
@pytest.mark.parametrize("traced", [False, True])
def test_segment_sums_add_every_value_at_its_key(entries, traced):
    # Both sides of SERIAL_SUM_ENTRIES (one-pass segment sum, bincount), eager and in a graph.
    rng = np.random.default_rng(entries)
    size = 3 * 1683
    keys = rng.integers(0, size - 7, entries)  # the last keys get nothing: zeros, full size
    values = rng.normal(size=entries).astype(np.float32)
    run = tf.function(cand.segment_sums) if traced else cand.segment_sums
    out = run(tf.constant(values), tf.constant(keys, tf.int64), tf.constant(size, tf.int64))
    want = np.zeros(size)
    np.add.at(want, keys, values)
    assert out.shape == (size,) and out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), want, atol=1e-4)


@pytest.fixture(params=["dense mask", "hashed keys"])
def set_path(request, monkeypatch):
    """Runs a test on both membership paths: a small catalogue's dense mask of keys, and the
    hashed keys of a catalogue too large for whole [rows, items] blocks."""
    if request.param == "hashed keys":
        monkeypatch.setattr(auto_settings, "SCORE_CELLS", 1)
    assert auto_settings.whole_catalogue_rows(N) == (request.param == "dense mask")
    return request.param


def test_member_of(set_path):
    sets = _ragged([[1, 5, 5], [], [0]])
    candidates = tf.constant([[5, 2, PAD], [1, 0, PAD], [0, 0, 1]], tf.int32)
    out = cand.member_of(candidates, sets, N).numpy()
    assert out.tolist() == [[True, False, False], [False, False, False], [True, True, False]]


def test_member_of_matches_a_reference_traced_and_eager(set_path):
    rng = np.random.default_rng(5)
    rows = [rng.integers(0, N, rng.integers(0, 12)).tolist() for _ in range(6)]
    candidates = rng.integers(-1, N, (6, 9)).astype(np.int32)
    want = [[c >= 0 and c in set(r) for c in row] for row, r in zip(candidates, rows)]
    assert cand.member_of(candidates, _ragged(rows), N).numpy().tolist() == want
    traced = tf.function(lambda c, s: cand.member_of(c, s, N))
    assert traced(tf.constant(candidates), _ragged(rows)).numpy().tolist() == want
    ids = _ragged([row[row >= 0].tolist() for row in candidates])
    flat = cand.member_of_flat(ids, _ragged(rows), N).numpy().tolist()
    assert flat == [c in set(r) for row, r in zip(candidates, rows) for c in row if c >= 0]


def test_top_columns_skip_excluded_and_minus_inf_cells():
    scores = tf.constant([[0.5, 3.0, -np.inf, 1.0], [2.0, 1.0, 0.0, -1.0]])
    excluded = tf.constant([[0, 1], [1, 0], [1, 3]], tf.int32)
    assert cand.top_columns(scores, excluded, 3).numpy().tolist() == [[3, 0, PAD], [1, 2, PAD]]
    assert cand.top_columns(scores, excluded[:0], 9).numpy().tolist() == [[1, 3, 0, PAD],
                                                                          [0, 1, 2, 3]]


@pytest.mark.parametrize("n", [1, 50, 5000])
def test_top_columns_of_a_wide_block_match_a_sorted_reference(n):
    """Past the whole-catalogue width the excluded cells are dropped after the top-k instead
    of being overwritten: same columns, same order (ties by column) as a plain sort."""
    width = 40_000
    assert not auto_settings.whole_catalogue_rows(width)
    rng = np.random.default_rng(n)
    scores = rng.integers(0, 30, (4, width)).astype(np.float32)  # many ties
    scores[1, rng.choice(width, width - 20, replace=False)] = -np.inf  # fewer than n left
    scores[3] = -np.inf
    cells = [(r, c) for r in (0, 1, 2) for c in rng.integers(0, width, 40 * (r + 1))]
    cells += [(r, c) for r in (0, 2) for c in np.argsort(-scores[r], kind="stable")[:30:3]]
    cells += cells[:5]  # a cell excluded twice
    out = cand.top_columns(tf.constant(scores), tf.constant(cells, tf.int32), n).numpy()
    assert out.shape == (4, n)
    for r in range(4):
        gone = {c for row, c in cells if row == r}
        order = sorted(range(width), key=lambda c: (-scores[r, c], c))
        want = [c for c in order if c not in gone and np.isfinite(scores[r, c])][:n]
        assert out[r].tolist() == want + [PAD] * (n - len(want))


def test_top_per_row_sums_values_ranks_and_pads():
    pair_ids = _ragged([[4, 2, 4, 7], [], [3, 3], [1, 6]])
    values = _ragged([[1.0, 1.5, 1.0, 0.5], [], [-0.5, -0.5], [1.0, -1e9]], tf.float32)
    out = cand.top_per_row(*cand.sum_per_row(pair_ids, values, N), 3).numpy()
    assert out.dtype == np.int32 and out.shape == (4, 3)
    assert out[0].tolist() == [4, 2, 7]  # 2.0 > 1.5 > 0.5
    assert out[1].tolist() == [PAD] * 3  # empty row
    assert out[2].tolist() == [3, PAD, PAD]  # a negative sum is still a candidate
    assert out[3].tolist() == [1, PAD, PAD]  # a vetoed id is dropped


@pytest.mark.parametrize("n", [1, 4, 20])
def test_top_per_row_matches_a_dense_reference(n):
    rng = np.random.default_rng(n)
    rows = [rng.integers(0, N, rng.integers(0, 15)).tolist() for _ in range(5)]
    vals = [rng.uniform(0.1, 1.0, len(r)).tolist() for r in rows]
    out = cand.top_per_row(*cand.sum_per_row(_ragged(rows), _ragged(vals, tf.float32), N),
                           n).numpy()
    assert out.shape == (5, n)
    for b in range(5):
        dense = np.zeros(N)
        np.add.at(dense, np.array(rows[b], int), np.array(vals[b]))
        present = sorted(set(rows[b]), key=lambda i: -dense[i])[:n]
        got = out[b][out[b] >= 0]
        assert len(got) == len(present)
        np.testing.assert_allclose(dense[got], dense[present], rtol=1e-6)
        assert np.all(out[b][len(present):] == PAD)


@pytest.mark.parametrize("num_items", [N, 2**30])  # 3 rows x 2**30 keys overflow int32 keys
def test_set_operations_give_the_same_answers_with_int64_keys(num_items):
    top = num_items - 1
    pair_ids = _ragged([[1, top, 1], [], [top, 4]])
    values = _ragged([[0.5, 2.0, 1.5], [], [9.0, 3.0]], tf.float32)
    ids, sums = cand.sum_per_row(pair_ids, values, num_items)
    assert ids.to_list() == [[1, top], [], [top, 4]]
    assert sums.to_list() == [[2.0, 2.0], [], [9.0, 3.0]]
    candidates = tf.constant([[top, 2, PAD], [1, 1, PAD], [4, top, 1]], tf.int32)
    np.testing.assert_allclose(cand.sum_at(pair_ids, values, candidates, num_items),
                               [[2.0, 0, 0], [0, 0, 0], [3.0, 9.0, 0]])
    assert cand.member_of(candidates, pair_ids, num_items).numpy().tolist() == [
        [True, False, False], [False, False, False], [True, True, False]]
    assert cand.unique_per_row(candidates, num_items).numpy().tolist() == [
        [top, 2, PAD], [1, PAD, PAD], [4, top, 1]]
