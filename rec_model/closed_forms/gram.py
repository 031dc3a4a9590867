"""The item Gram matrix G = X^T X, computed in item blocks and pruned per item."""

import dataclasses

import numpy as np
import scipy.sparse as sp

_BLOCK_PAIRS = 40_000_000  # (user, item, item) co-occurrences summed per block (~0.5 GB peak)


@dataclasses.dataclass(frozen=True)
class PrunedGram:
    """Each item's strongest co-occurrences, and the Gram entries among them.

    Attributes:
        neighbours: [items, K] int32, item j's K most cosine-similar other items
            (G_ij / sqrt(G_ii G_jj)), best first; -1 pads items with fewer co-occurrences.
        diagonal: [items] float64, G_jj (an item's squared weight sum).
        entries: [items, items] scipy CSR (canonical: sorted indices) with G_ij wherever i is
            among j's or j among i's K neighbours: the lookups of the neighbourhood solves.
    """

    neighbours: np.ndarray
    diagonal: np.ndarray
    entries: sp.csr_matrix

    @property
    def width(self) -> int:
        return int(self.neighbours.shape[1])


def _blocks(x: sp.csr_matrix, budget: int):
    """Item ranges whose co-occurrence work (sum over their users' degrees) fits `budget`."""
    degree = np.diff(x.indptr).astype(np.float64)
    work = np.asarray(x.T @ degree).ravel()  # per item: co-occurrences to add up
    bounds, start, total = [], 0, 0.0
    for j, w in enumerate(work):
        if total + w > budget and j > start:
            bounds.append((start, j))
            start, total = j, 0.0
        total += w
    bounds.append((start, x.shape[1]))
    return bounds


def pruned_gram(x: sp.csr_matrix, width: int) -> PrunedGram:
    """G = X^T X restricted to each item's `width` most similar items, block by block.

    Each block of columns of G is a sparse product (time: the sum over users of their squared
    interaction count); each column keeps its `width` best entries, so memory is one block's
    co-occurrences plus the result, items x width.

    Args:
        x: [users, items] CSR interaction weights.
        width: neighbours kept per item (capped at items - 1).

    Returns:
        PrunedGram.
    """
    n_items = x.shape[1]
    width = int(max(1, min(width, n_items - 1)))
    x = x.tocsr().astype(np.float32)
    xt = x.T.tocsr()
    xc = x.tocsc()
    diagonal = np.asarray(xc.multiply(xc).sum(axis=0), np.float64).ravel()
    root = np.sqrt(np.maximum(diagonal, 1e-12))
    neighbours = np.full((n_items, width), -1, np.int32)
    values = np.zeros((n_items, width), np.float32)
    for start, stop in _blocks(x, _BLOCK_PAIRS):
        block = (xt @ xc[:, start:stop]).tocsc()  # [items, b] co-occurrences
        for local in range(stop - start):
            j = start + local
            lo, hi = block.indptr[local], block.indptr[local + 1]
            rows, vals = block.indices[lo:hi], block.data[lo:hi]
            keep = (rows != j) & (vals > 0)
            rows, vals = rows[keep], vals[keep]
            if rows.size == 0:
                continue
            cosine = vals / root[rows]
            if rows.size > width:
                top = np.argpartition(-cosine, width - 1)[:width]
                rows, vals, cosine = rows[top], vals[top], cosine[top]
            order = np.argsort(-cosine, kind="stable")
            neighbours[j, :rows.size] = rows[order]
            values[j, :rows.size] = vals[order]
    return PrunedGram(neighbours, diagonal, _symmetric_entries(neighbours, values, n_items))


def _symmetric_entries(neighbours: np.ndarray, values: np.ndarray, n: int) -> sp.csr_matrix:
    cols = np.repeat(np.arange(n, dtype=np.int64), neighbours.shape[1])
    rows = neighbours.ravel().astype(np.int64)
    keep = rows >= 0
    rows, cols, vals = rows[keep], cols[keep], values.ravel()[keep]
    half = sp.csr_matrix((vals.astype(np.float64), (rows, cols)), shape=(n, n))
    # G is symmetric and non-negative: an entry found from either side is the same number.
    both = half.maximum(half.T).tocsr()
    both.sort_indices()
    return both
