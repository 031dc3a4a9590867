"""The item Gram matrix G = X^T X, computed in item blocks and pruned per item."""

import dataclasses
from typing import List, Sequence, Tuple

import numpy as np
import scipy.sparse as sp

_BLOCK_PAIRS = 40_000_000  # (user, item, item) co-occurrences summed per block (~0.5 GB peak)


@dataclasses.dataclass(frozen=True)
class PrunedGram:
    """Each item's strongest co-occurrences, and the Gram entries among them.

    Attributes:
        neighbours: [items, K] int32, item j's K most similar other items (`pruned_grams`),
            best first; -1 pads items with fewer co-occurrences.
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


def pruned_gram(x: sp.csr_matrix, width: int, prior: float = 0.0) -> PrunedGram:
    """G = X^T X restricted to each item's `width` most similar items (`pruned_grams`)."""
    return pruned_grams(x, [(prior, width)])[0]


def pruned_grams(x: sp.csr_matrix,
                 rankings: Sequence[Tuple[float, int]]) -> List[PrunedGram]:
    """G = X^T X restricted to each item's most similar items, block by block, once per
    (similarity prior, width) ranking: item j keeps the `width` items i of largest
    G_ij / sqrt(G_ii + prior x mean G_ii). Prior 0 is the cosine, which favours items seen a
    few times, all of them with j; a larger prior favours items seen often with j (an
    infinite one ranks by the co-occurrence count): which wastes fewer of the solve's
    regressors depends on how many items are rare, so the caller compares them on a
    validation slice.

    Each block of columns of G is a sparse product (time: the sum over users of their squared
    interaction count), shared by every ranking; each column keeps its best entries per
    ranking, so memory is one block's co-occurrences plus items x the sum of the widths.

    Args:
        x: [users, items] CSR interaction weights.
        rankings: (prior, width) pairs: prior >= 0 (may be inf) in units of the mean
            positive G_ii; width = neighbours kept per item (capped at items - 1).

    Returns:
        One PrunedGram per ranking, in order.
    """
    n_items = x.shape[1]
    widths = [int(max(1, min(width, n_items - 1))) for _, width in rankings]
    x = x.tocsr().astype(np.float32)
    xt = x.T.tocsr()
    xc = x.tocsc()
    diagonal = np.asarray(xc.multiply(xc).sum(axis=0), np.float64).ravel()
    positive = diagonal[diagonal > 0]
    unit = float(positive.mean()) if positive.size else 1.0
    roots = [_root(diagonal + prior * unit) if np.isfinite(prior) else np.ones_like(diagonal)
             for prior, _ in rankings]
    neighbours = [np.full((n_items, width), -1, np.int32) for width in widths]
    values = [np.zeros((n_items, width), np.float32) for width in widths]
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
            for p, root in enumerate(roots):
                _keep_best(rows, vals, vals / root[rows], widths[p], neighbours[p][j],
                           values[p][j])
    return [PrunedGram(nbrs, diagonal, _symmetric_entries(nbrs, vals, n_items))
            for nbrs, vals in zip(neighbours, values)]


def _root(diagonal: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(diagonal, 1e-12))


def _keep_best(rows, vals, similarity, width, out_neighbours, out_values):
    """Writes the `width` most similar (rows, vals), most similar first, into the outputs."""
    if rows.size > width:
        top = np.argpartition(-similarity, width - 1)[:width]
        rows, vals, similarity = rows[top], vals[top], similarity[top]
    order = np.argsort(-similarity, kind="stable")
    out_neighbours[:rows.size] = rows[order]
    out_values[:rows.size] = vals[order]


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
