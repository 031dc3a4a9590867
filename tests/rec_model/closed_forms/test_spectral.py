import numpy as np
import scipy.sparse as sp

from rec_model.closed_forms.spectral import spectral_factors


def _x(seed=0, users=30, items=12):
    rng = np.random.default_rng(seed)
    dense = (rng.random((users, items)) < 0.35) * rng.uniform(0.5, 2.0, (users, items))
    dense[:, -1] = 0.0  # one item without interactions
    return dense


def _gf_cf(dense, rank):
    """D_i^-1/2 V V^T D_i^1/2 from a dense SVD of R = D_u^-1/2 X D_i^-1/2."""
    du = np.maximum(dense.sum(1), 1e-12)
    di = np.maximum(dense.sum(0), 1e-12)
    r = dense / np.sqrt(du)[:, None] / np.sqrt(di)[None, :]
    _, s, vt = np.linalg.svd(r, full_matrices=False)
    v = vt[:rank].T
    return (v / np.sqrt(di)[:, None]) @ (v * np.sqrt(di)[:, None]).T, s


def test_factors_reproduce_the_dense_gf_cf_filter():
    dense = _x()
    rank = 4
    want, s = _gf_cf(dense, rank)
    assert s[rank - 1] - s[rank] > 1e-3  # a spectral gap: the subspace is well defined
    f = spectral_factors(sp.csr_matrix(dense.astype(np.float32)), rank, seed=0)
    assert f.left.shape == (12, rank) and f.right.shape == (12, rank)
    assert f.left.dtype == np.float32
    known = dense.sum(0) > 0
    got = f.left @ f.right.T
    np.testing.assert_allclose(got[np.ix_(known, known)], want[np.ix_(known, known)], atol=1e-3)
    np.testing.assert_allclose(f.singular_values, s[:rank], rtol=1e-3)
    x = dense[:3]
    np.testing.assert_allclose((x @ f.left) @ f.right.T, x @ got, atol=1e-5)


def test_items_without_interactions_get_zero_rows_and_rank_is_capped():
    dense = _x(seed=1)
    f = spectral_factors(sp.csr_matrix(dense.astype(np.float32)), 100)
    assert f.left.shape[1] == 11  # items - 1
    assert np.all(f.left[-1] == 0) and np.all(f.right[-1] == 0)
    assert np.all(np.isfinite(f.left)) and np.all(np.isfinite(f.right))


def test_same_seed_same_factors():
    x = sp.csr_matrix(_x(seed=2).astype(np.float32))
    a, b = spectral_factors(x, 3, seed=5), spectral_factors(x, 3, seed=5)
    np.testing.assert_array_equal(a.left, b.left)
