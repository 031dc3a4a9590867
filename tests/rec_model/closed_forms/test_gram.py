import numpy as np
import scipy.sparse as sp

import pytest

from rec_model.closed_forms.gram import pruned_gram, pruned_grams


def _x(seed=0, users=40, items=12, density=0.3):
    rng = np.random.default_rng(seed)
    dense = (rng.random((users, items)) < density) * rng.uniform(0.5, 2.0, (users, items))
    return sp.csr_matrix(dense.astype(np.float32)), dense


def test_entries_equal_the_dense_gram_where_kept():
    x, dense = _x()
    gram = pruned_gram(x, width=4)
    full = dense.T @ dense
    np.testing.assert_allclose(gram.diagonal, np.diag(full), rtol=1e-5)
    rows, cols = gram.entries.nonzero()
    assert rows.size > 0
    np.testing.assert_allclose(np.asarray(gram.entries[rows, cols]).ravel(), full[rows, cols],
                               rtol=1e-5)
    assert gram.entries.has_sorted_indices
    assert (gram.entries != gram.entries.T).nnz == 0  # symmetric


def test_neighbours_are_the_most_cosine_similar_other_items_best_first():
    x, dense = _x(seed=1)
    width = 3
    gram = pruned_gram(x, width)
    full = dense.T @ dense
    norms = np.sqrt(np.diag(full))
    cosine = full / norms[:, None] / norms[None, :]
    np.fill_diagonal(cosine, -np.inf)
    assert gram.neighbours.shape == (12, width) and gram.width == width
    for j in range(12):
        got = gram.neighbours[j]
        assert j not in got
        np.testing.assert_allclose(cosine[j, got], np.sort(cosine[j])[::-1][:width], rtol=1e-5)
        assert np.all(np.diff(cosine[j, got]) <= 1e-6)
        for i in got:  # every neighbour's entry is stored
            assert np.isclose(gram.entries[i, j], full[i, j], rtol=1e-5)


def test_items_with_few_co_occurrences_are_padded_and_width_is_capped():
    # item 3 never co-occurs; item 2 co-occurs only with item 0.
    dense = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], np.float32)
    gram = pruned_gram(sp.csr_matrix(dense), width=10)
    assert gram.width == 3  # items - 1
    assert gram.neighbours[3].tolist() == [-1, -1, -1]
    assert gram.neighbours[2].tolist() == [0, -1, -1]
    assert sorted(gram.neighbours[0][:2].tolist()) == [1, 2] and gram.neighbours[0][2] == -1
    assert gram.entries[2, 1] == 0 and gram.entries[3].nnz == 0


def test_wide_gram_keeps_every_co_occurrence():
    x, dense = _x(seed=2, density=0.5)
    gram = pruned_gram(x, width=11)
    full = dense.T @ dense
    np.fill_diagonal(full, 0.0)
    np.testing.assert_allclose(gram.entries.toarray(), full, rtol=1e-5)


@pytest.mark.parametrize("prior", [0.0, 1.0, float("inf")])
def test_each_prior_keeps_the_items_of_largest_prior_similarity(prior):
    x, dense = _x(seed=3, users=60, items=15)
    full = dense.T @ dense
    unit = np.diag(full)[np.diag(full) > 0].mean()
    root = np.ones(15) if np.isinf(prior) else np.sqrt(np.diag(full) + prior * unit)
    similarity = full / root[:, None]  # [i, j]: candidate neighbour i of item j
    np.fill_diagonal(similarity, -np.inf)
    gram = pruned_grams(x, [(0.0, 4), (prior, 4)])[1]
    for j in range(15):
        got = gram.neighbours[j]
        np.testing.assert_allclose(similarity[got, j], np.sort(similarity[:, j])[::-1][:4],
                                   rtol=1e-5)


def test_the_count_prior_prefers_a_frequent_co_occurrence_to_a_rare_item():
    # Item 1 is seen once, with item 0; item 2 is seen by all four users, twice with item 0.
    dense = np.array([[1, 1, 1, 0], [1, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]], np.float32)
    cosine, count = pruned_grams(sp.csr_matrix(dense), [(0.0, 1), (float("inf"), 1)])
    assert cosine.neighbours[0].tolist() == [1] and count.neighbours[0].tolist() == [2]
    np.testing.assert_array_equal(cosine.diagonal, count.diagonal)
    cosine_alone = pruned_gram(sp.csr_matrix(dense), 1)
    np.testing.assert_array_equal(cosine_alone.neighbours, cosine.neighbours)


def test_each_ranking_keeps_its_own_width_and_a_narrower_one_matches_its_own_gram():
    x, _ = _x(seed=5, users=60, items=15)
    narrow, wide = pruned_grams(x, [(0.0, 3), (float("inf"), 6)])
    assert narrow.neighbours.shape == (15, 3) and wide.neighbours.shape == (15, 6)
    alone = pruned_gram(x, 3)
    np.testing.assert_array_equal(narrow.neighbours, alone.neighbours)
    np.testing.assert_array_equal(narrow.entries.toarray(), alone.entries.toarray())
