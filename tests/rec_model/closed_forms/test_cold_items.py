import numpy as np
import scipy.sparse as sp

from rec_model.closed_forms import cold_items
from rec_model.closed_forms.cold_items import impute_columns, impute_rows, text_mixing


def _text():
    # items 0-2 warm, 3-4 cold, 5 cold without text.
    return np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7], [1.0, 0.1], [0.1, 1.0], [0.0, 0.0]])


KNOWN = np.array([True, True, True, False, False, False])


def test_mixing_weights_sum_to_one_over_warm_text_neighbours():
    m = text_mixing(_text(), KNOWN, neighbours=2, temperature=0.1)
    assert m.shape == (6, 6)
    np.testing.assert_allclose(np.asarray(m.sum(axis=0)).ravel(), [0, 0, 0, 1, 1, 0], atol=1e-9)
    dense = m.toarray()
    assert np.all(dense[3:] == 0)  # only warm items give weight
    assert (dense[:, 3] > 0).sum() == 2 and (dense[:, 4] > 0).sum() == 2
    assert dense[0, 3] > dense[2, 3] and dense[1, 3] == 0  # nearest by cosine dominates
    assert dense[1, 4] > dense[2, 4] and dense[0, 4] == 0


def test_mixing_only_some_cold_items_leaves_the_others_without_a_column():
    full = text_mixing(_text(), KNOWN, neighbours=2, temperature=0.1).toarray()
    only = text_mixing(_text(), KNOWN, 2, 0.1, only=np.arange(6) == 4).toarray()
    np.testing.assert_allclose(only[:, 4], full[:, 4])
    assert not only[:, 3].any()


def test_mixing_is_a_softmax_over_cosines():
    text = _text()
    m = text_mixing(text, KNOWN, neighbours=3, temperature=0.5).toarray()
    unit = text[:3] / np.linalg.norm(text[:3], axis=1, keepdims=True)
    cos = unit @ (text[3] / np.linalg.norm(text[3]))
    want = np.exp(cos / 0.5) / np.exp(cos / 0.5).sum()
    np.testing.assert_allclose(m[:3, 3], want, rtol=1e-6)


def test_nothing_to_mix_gives_none():
    assert text_mixing(_text(), KNOWN, 0, 0.1) is None
    assert text_mixing(_text(), np.ones(6, bool), 2, 0.1) is None
    assert text_mixing(_text(), np.zeros(6, bool), 2, 0.1) is None


def test_impute_rows_replaces_cold_rows_and_keeps_warm_ones():
    m = text_mixing(_text(), KNOWN, 2, 0.1)
    table = np.arange(12, dtype=np.float32).reshape(6, 2)
    out = impute_rows(table, m)
    np.testing.assert_array_equal(out[:3], table[:3])
    np.testing.assert_array_equal(out[5], table[5])  # no text: left alone
    weights = m.toarray()[:, 3]
    mix = weights @ table
    # The direction of the weighted mix, at the weighted mean norm of its neighbours.
    np.testing.assert_allclose(out[3], mix / np.linalg.norm(mix)
                               * (weights @ np.linalg.norm(table, axis=1)), rtol=1e-6)
    assert np.linalg.norm(out[3]) > np.linalg.norm(mix)
    assert out.dtype == table.dtype
    np.testing.assert_array_equal(table[3], [6, 7])  # input untouched
    assert impute_rows(table, None) is table


def test_impute_columns_replaces_cold_columns_and_keeps_warm_ones():
    m = text_mixing(_text(), KNOWN, 2, 0.1)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(6, 6)) * (rng.random((6, 6)) < 0.7)
    w[:, 3:] = 0.0
    out = impute_columns(sp.csr_matrix(w.astype(np.float32)), m)
    assert sp.issparse(out) and out.has_sorted_indices
    dense = out.toarray()
    np.testing.assert_allclose(dense[:, :3], w[:, :3], rtol=1e-6)
    weights = m.toarray()[:, 3]
    np.testing.assert_allclose(dense[:, 3], w @ weights, rtol=1e-5)
    # The column's total weight is its neighbours' weighted mean: no rescaling, unlike a row.
    np.testing.assert_allclose(dense[:, 3].sum(), weights @ w.sum(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(dense[:, 5], 0.0)
    same = sp.csr_matrix(w)
    assert impute_columns(same, None) is same


def test_impute_columns_in_blocks_gives_the_same_matrix_and_caps_each_cold_column():
    rng = np.random.default_rng(3)
    text = _clustered_text(rng, items=400, topics=8, dim=16)
    known = rng.random(400) < 0.5
    m = text_mixing(text, known, neighbours=5, temperature=0.1)
    w = sp.random(400, 400, density=0.05, random_state=4, format="csr", dtype=np.float32)
    w = (w @ sp.diags(known.astype(np.float32))).tocsr()  # cold items have empty columns
    whole = impute_columns(w, m)
    blocked = impute_columns(w, m, block_entries=50)  # many blocks of a few columns
    np.testing.assert_allclose(blocked.toarray(), whole.toarray(), rtol=1e-6)
    capped = impute_columns(w, m, per_column=3).toarray()
    dense = whole.toarray()
    cold = np.flatnonzero(~known)
    assert (np.count_nonzero(capped[:, cold], axis=0) <= 3).all()
    np.testing.assert_array_equal(capped[:, known], dense[:, known])  # warm columns untouched
    for c in cold[:20]:
        kept = np.flatnonzero(capped[:, c])
        if kept.size:  # the kept entries are the column's largest magnitudes, unchanged
            assert np.abs(dense[kept, c]).min() >= np.sort(np.abs(dense[:, c]))[-kept.size]
            np.testing.assert_allclose(capped[kept, c], dense[kept, c], rtol=1e-6)


def _clustered_text(rng, items=3000, topics=30, dim=32):
    centres = rng.normal(size=(topics, dim))
    return centres[rng.integers(0, topics, items)] + 0.3 * rng.normal(size=(items, dim))


def test_a_large_search_uses_the_inverted_file_and_finds_the_exact_neighbours(monkeypatch):
    rng = np.random.default_rng(0)
    text = _clustered_text(rng)
    known = rng.random(text.shape[0]) < 0.6
    exact = text_mixing(text, known, neighbours=10, temperature=0.05)
    monkeypatch.setattr(cold_items, "EXACT_SEARCH_CELLS", 0)  # force the inverted file
    approx = text_mixing(text, known, neighbours=10, temperature=0.05)
    assert approx.shape == exact.shape
    np.testing.assert_allclose(np.asarray(approx.sum(axis=0)).ravel(),
                               np.asarray(exact.sum(axis=0)).ravel(), atol=1e-9)
    exact_pairs = set(zip(*exact.nonzero()))
    approx_pairs = set(zip(*approx.nonzero()))
    assert len(exact_pairs & approx_pairs) >= 0.9 * len(exact_pairs)  # recall of the neighbours
    assert abs(approx - exact).sum() <= 0.1 * exact.sum()  # the weights barely move
    assert set(approx.nonzero()[0]) <= set(np.flatnonzero(known))  # only warm items give weight


def test_the_inverted_file_gives_every_cold_item_weights_that_sum_to_one(monkeypatch):
    rng = np.random.default_rng(1)
    text = rng.normal(size=(500, 8))  # no cluster structure at all
    known = np.arange(500) < 450
    monkeypatch.setattr(cold_items, "EXACT_SEARCH_CELLS", 0)
    m = text_mixing(text, known, neighbours=30, temperature=0.5)
    np.testing.assert_allclose(np.asarray(m.sum(axis=0)).ravel()[450:], 1.0, atol=1e-9)


def test_the_exact_search_holds_one_block_of_similarities_at_a_time(monkeypatch):
    import tracemalloc

    rng = np.random.default_rng(2)
    text = rng.normal(size=(4000, 4)).astype(np.float32)
    known = np.arange(4000) < 2000  # 2,000 cold x 2,000 warm cosines, in 100 blocks
    monkeypatch.setattr(cold_items, "_BLOCK_CELLS", 40_000)
    tracemalloc.start()
    try:
        mixing = text_mixing(text, known, neighbours=5, temperature=0.5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert mixing.nnz == 2000 * 5
    # All the blocks' cosines at once would be 2,000 x 2,000 x (4 + 8) bytes = 48 MB.
    assert peak < 8_000_000
