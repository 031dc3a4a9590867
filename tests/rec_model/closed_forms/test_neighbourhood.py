import numpy as np
import pytest
import scipy.sparse as sp

from rec_model.closed_forms import neighbourhood
from rec_model.closed_forms.gram import pruned_gram


def _x(seed=0, users=40, items=8):
    rng = np.random.default_rng(seed)
    dense = (rng.random((users, items)) < 0.5).astype(np.float64)
    return sp.csr_matrix(dense.astype(np.float32)), dense


def _edlae(dense, l2, dropout):
    """Dense EDLAE / EASE (Steck 2019, 2020): zero-diagonal closed form."""
    g = dense.T @ dense
    lam = np.diag(dropout / (1 - dropout) * np.diag(g) + l2)
    p = np.linalg.inv(g + lam)
    b = np.eye(len(g)) - p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return b


@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_full_neighbourhood_equals_dense_edlae(dropout):
    x, dense = _x()
    items = dense.shape[1]
    gram = pruned_gram(x, items - 1)
    assert np.all(gram.neighbours >= 0)  # every pair co-occurs: the solve sees all of G
    w = neighbourhood.item_item(gram, items - 1, 5.0, dropout)
    assert sp.issparse(w) and w.shape == (items, items)
    np.testing.assert_allclose(w.toarray(), _edlae(dense, 5.0, dropout), atol=1e-5)
    assert np.all(w.diagonal() == 0)


def test_several_l2_equal_separate_calls():
    x, _ = _x(seed=1)
    gram = pruned_gram(x, 5)
    together = neighbourhood.item_item(gram, 3, [1.0, 10.0], 0.1)
    assert isinstance(together, list) and len(together) == 2
    for l2, w in zip([1.0, 10.0], together):
        alone = neighbourhood.item_item(gram, 3, l2, 0.1)
        np.testing.assert_allclose(w.toarray(), alone.toarray(), atol=1e-7)
    assert not np.allclose(together[0].toarray(), together[1].toarray())


def test_each_column_uses_at_most_its_neighbours():
    x, _ = _x(seed=2, items=10)
    gram = pruned_gram(x, 6)
    w = neighbourhood.item_item(gram, 2, 3.0).tocsc()
    for j in range(10):
        rows = w[:, j].nonzero()[0]
        assert len(rows) <= 2 and set(rows) <= set(gram.neighbours[j, :2].tolist())


@pytest.mark.parametrize("kwargs, match", [({"l2": 0.0}, "l2"), ({"l2": [1.0, -1.0]}, "l2"),
                                           ({"l2": 1.0, "dropout": 1.0}, "dropout")])
def test_bad_arguments_are_rejected(kwargs, match):
    gram = pruned_gram(_x()[0], 3)
    with pytest.raises(ValueError, match=match):
        neighbourhood.item_item(gram, 2, **kwargs)


def test_prune_rows_keeps_the_largest_magnitudes_per_row():
    dense = np.array([[0.5, -3.0, 1.0, 0.0, 2.0],
                      [0.0, 0.0, 0.0, 0.0, 0.0],
                      [0.1, 0.0, 0.0, 0.0, 0.0],
                      [-1.0, 1.5, -2.5, 0.2, 0.3]], np.float32)
    out = neighbourhood.prune_rows(sp.csr_matrix(dense), 2)
    want = np.array([[0, -3.0, 0, 0, 2.0], [0] * 5, [0.1, 0, 0, 0, 0],
                     [0, 1.5, -2.5, 0, 0]], np.float32)
    np.testing.assert_array_equal(out.toarray(), want)
    assert out.has_sorted_indices
    same = neighbourhood.prune_rows(sp.csr_matrix(dense), 5)  # no row is longer
    np.testing.assert_array_equal(same.toarray(), dense)


def test_prune_rows_against_a_random_reference():
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(6, 30)) * (rng.random((6, 30)) < 0.6)
    out = neighbourhood.prune_rows(sp.csr_matrix(dense), 5).toarray()
    for row, got in zip(dense, out):
        keep = np.argsort(-np.abs(row), kind="stable")[:5]
        want = np.zeros_like(row)
        want[keep] = row[keep]
        np.testing.assert_allclose(got, want)


class _Shrinkage:
    """A validation slice whose NDCG grows with shrinkage (the sum of |W|, times -sign)."""

    def __init__(self, sign, num_items):
        self.sign, self.eye = sign, sp.identity(num_items, format="csr")

    def ndcg_per_user(self, scores):
        return np.array([-self.sign * float(np.abs(scores(self.eye)).sum())])


@pytest.mark.parametrize("sign,steps", [(1, [0, 1, 2, 3, 4, 5]), (-1, [-3, -2, -1, 0, 1, 2])])
def test_the_l2_grid_extends_past_a_winning_edge(sign, steps):
    x, dense = _x()
    gram = pruned_gram(x, dense.shape[1] - 1)
    l2, w, grid, per_user = neighbourhood.best_l2(gram, 4, _Shrinkage(sign, dense.shape[1]))
    scale = neighbourhood.weight_scale(gram)
    assert scale == pytest.approx(dense.sum(axis=0).mean())
    want = [scale * neighbourhood.L2_STEP ** s for s in steps]
    assert sorted(grid) == pytest.approx(want)
    assert neighbourhood.L2_GRID == (1.0, 4.0, 16.0) and neighbourhood.L2_EXTENSIONS == 3
    assert l2 == pytest.approx(want[-1] if sign > 0 else want[0])
    assert per_user.tolist() == [grid[l2]]
    np.testing.assert_allclose(w.toarray(), neighbourhood.item_item(gram, 4, l2).toarray(),
                               atol=1e-6)


def test_a_centred_grid_starts_around_the_given_ridge_weight():
    x, dense = _x()
    gram = pruned_gram(x, dense.shape[1] - 1)
    _, _, grid, _ = neighbourhood.best_l2(gram, 4, _Shrinkage(1, dense.shape[1]), centre=7.0)
    # The grid's own ratios around 7, then extended past the winning (largest) edge.
    want = [7.0 / 4.0, 7.0, 28.0] + [28.0 * neighbourhood.L2_STEP ** s for s in (1, 2, 3)]
    assert sorted(grid) == pytest.approx(want)


def test_solving_on_several_threads_gives_the_same_weights(monkeypatch):
    x, dense = _x()
    gram = pruned_gram(x, dense.shape[1] - 1)
    monkeypatch.setattr(neighbourhood, "_UNION_ITEMS", 10)  # many small batches
    monkeypatch.setattr(neighbourhood, "SOLVE_THREADS", 1)
    one = neighbourhood.item_item(gram, 4, [1.0, 3.0])
    monkeypatch.setattr(neighbourhood, "SOLVE_THREADS", 3)
    three = neighbourhood.item_item(gram, 4, [1.0, 3.0])
    for a, b in zip(one, three):
        np.testing.assert_array_equal(a.toarray(), b.toarray())
