"""The item Gram matrix G = X^T X, computed in item blocks and pruned per item."""

import dataclasses

import numpy as np
import scipy.sparse as sp

_BLOCK_CELLS = 32_000_000  # float32 cells of one dense [items, block] slice (128 MB)


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


def pruned_gram(x: sp.csr_matrix, width: int) -> PrunedGram:
    """G = X^T X restricted to each item's `width` most similar items, block by block.

    Memory: one dense [items, block] float32 slice (about 128 MB) plus the result,
    items x width entries; time: sum over users of their squared interaction count.

    Args:
        x: [users, items] CSR interaction weights.
        width: neighbours kept per item (capped at items - 1).

    Returns:
        PrunedGram.
    """
    n_items = x.shape[1]
    width = int(max(1, min(width, n_items - 1)))
    xt = x.T.tocsr()
    xc = x.tocsc()
    diagonal = np.asarray(xc.multiply(xc).sum(axis=0), np.float64).ravel()
    root = np.sqrt(np.maximum(diagonal, 1e-12)).astype(np.float32)
    block = max(1, min(n_items, _BLOCK_CELLS // max(n_items, 1)))
    neighbours = np.full((n_items, width), -1, np.int32)
    values = np.zeros((n_items, width), np.float32)
    for start in range(0, n_items, block):
        stop = min(start + block, n_items)
        dense = (xt @ xc[:, start:stop]).toarray()  # [items, b] co-occurrences
        cosine = dense / root[:, None] / root[None, start:stop]
        cosine[np.arange(start, stop), np.arange(stop - start)] = -np.inf  # not its own neighbour
        cosine[dense <= 0] = -np.inf
        top = np.argpartition(-cosine, width - 1, axis=0)[:width].T  # [b, width]
        best = np.take_along_axis(cosine.T, top, axis=1)
        order = np.argsort(-best, axis=1, kind="stable")
        top, best = np.take_along_axis(top, order, 1), np.take_along_axis(best, order, 1)
        found = np.isfinite(best)
        neighbours[start:stop] = np.where(found, top, -1)
        values[start:stop] = np.where(found, np.take_along_axis(dense.T, top, axis=1), 0.0)
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
