"""GF-CF's ideal low-pass filter (Shen et al., CIKM 2021) as low-rank item factors.

R = D_u^-1/2 X D_i^-1/2 (D = user / item weight sums). The filter D_i^-1/2 V V^T D_i^1/2 of
the top `rank` right singular vectors V of R scores a history x as (x D_i^-1/2 V) V^T D_i^1/2:
a user vector, the sum of the history items' `left` rows, dotted with the items' `right`
rows. V comes from a randomised subspace iteration on the item side (Halko, Martinsson &
Tropp 2011), so memory is [users + items, rank + oversampling] and time O(nnz x rank).
"""

import dataclasses

import numpy as np
import scipy.linalg
import scipy.sparse as sp


@dataclasses.dataclass(frozen=True)
class SpectralFactors:
    """left / right: [items, rank] float32; scores = (sum of history `left` rows) @ right^T."""

    left: np.ndarray
    right: np.ndarray
    singular_values: np.ndarray


def spectral_factors(x: sp.csr_matrix, rank: int, oversampling: int = 16, iterations: int = 4,
                     seed: int = 0) -> SpectralFactors:
    """Top-`rank` right singular directions of the degree-normalised interactions.

    Args:
        x: [users, items] CSR interaction weights.
        rank: directions kept (capped at items - 1).
        oversampling / iterations: randomised SVD accuracy knobs.
        seed: of the random start.
    """
    n_items = x.shape[1]
    rank = int(max(1, min(rank, n_items - 1)))
    width = min(n_items, rank + oversampling)
    user_degree = np.asarray(x.sum(axis=1), np.float64).ravel()
    item_degree = np.asarray(x.sum(axis=0), np.float64).ravel()
    u_scale = 1.0 / np.sqrt(np.maximum(user_degree, 1e-12))
    i_scale = 1.0 / np.sqrt(np.maximum(item_degree, 1e-12))
    r = (sp.diags(u_scale.astype(np.float32)) @ x @ sp.diags(i_scale.astype(np.float32))).tocsr()
    rt = r.T.tocsr()
    q = np.random.default_rng(seed).standard_normal((n_items, width)).astype(np.float32)
    for _ in range(iterations):
        # scipy keeps float32 (numpy's qr computes in float64): half the [items, width]
        # blocks, the fit's peak at a million items.
        q, _ = scipy.linalg.qr(rt @ (r @ q), mode="economic", overwrite_a=True,
                               check_finite=False)
    projected = r @ q  # [users, width]
    gram = (projected.T @ projected).astype(np.float64)
    values, vectors = np.linalg.eigh(gram)  # ascending
    top = np.argsort(-values)[:rank]
    v = (q @ vectors[:, top].astype(np.float32)).astype(np.float32)
    known = item_degree > 0
    left = np.where(known[:, None], v * i_scale[:, None], 0.0).astype(np.float32)
    right = np.where(known[:, None], v / i_scale[:, None], 0.0).astype(np.float32)
    return SpectralFactors(left, right, np.sqrt(np.maximum(values[top], 0.0)).astype(np.float32))
