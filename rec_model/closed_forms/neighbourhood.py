"""EDLAE item-item weights solved on each item's neighbourhood (a sparse EASE).

EASE (Steck, WWW 2019) and EDLAE (Steck, NeurIPS 2020) regress every item's column of X on
all other items: b_j = (G_-j,-j + Lambda)^-1 G_-j,j, with Lambda = diagMat(p / (1 - p) diag(G))
+ l2 I. Restricting item j's regressors to its `neighbours` most similar items N(j) turns the
[items, items] inverse into one small [k, k] solve per item, b_N(j) = (G_NN + Lambda_N)^-1 G_Nj,
the same estimator on the neighbourhood; G_NN comes from the pruned Gram (entries outside it
are treated as 0, which is why the Gram keeps several times more neighbours than the solve
uses). Cost: items x k^3 flops and items x k^2 lookups; memory items x k.
"""

import os
from concurrent import futures

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from rec_model.closed_forms.gram import PrunedGram

SOLVE_THREADS = len(os.sched_getaffinity(0))  # batches of local systems solved at once
_UNION_ITEMS = 4000  # neighbours (with repeats) per batch: a dense block of at most this square
L2_GRID = (1.0, 4.0, 16.0)  # x the mean item weight sum, tried on a validation slice
# A grid edge that wins is extended by this factor, at most L2_EXTENSIONS times: sparse data
# (few users, many items) wants far more shrinkage than dense data.
L2_STEP, L2_EXTENSIONS = 4.0, 3


def item_item(gram: PrunedGram, neighbours: int, l2, dropout: float = 0.0):
    """Sparse EDLAE weights, for one ridge weight or several (the lookups are shared).

    Args:
        gram: the pruned Gram of the interaction weights.
        neighbours: regressors per item (<= gram.width).
        l2: ridge weight (> 0), or a sequence of them.
        dropout: EDLAE dropout probability in [0, 1); 0 = EASE.

    Returns:
        W [items, items] CSR (a list of them when `l2` is a sequence) with W[i, j] = weight
        of history item i in the score of item j, at most `neighbours` non-zeros per column;
        scores = X @ W.
    """
    l2s = [float(v) for v in np.atleast_1d(l2)]
    if min(l2s) <= 0:
        raise ValueError(f"l2={l2} must be > 0 for the item-item solve")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout} must be in [0, 1) (0 = EASE)")
    n = gram.neighbours.shape[0]
    k = int(max(1, min(neighbours, gram.width)))
    nbrs = gram.neighbours[:, :k].astype(np.int64)
    outs = [np.zeros((n, k), np.float32) for _ in l2s]
    step = max(1, _UNION_ITEMS // (k + 1))
    eye = np.eye(k, dtype=bool)
    def solve_batch(start):
        nb = nbrs[start:start + step]
        targets = np.arange(start, start + nb.shape[0])
        valid = nb >= 0
        a, rhs = _local_systems(gram.entries, np.where(valid, nb, targets[:, None]), targets)
        a = np.where(valid[:, :, None] & valid[:, None, :], a, 0.0)
        rhs = np.where(valid, rhs, 0.0)
        safe = np.where(valid, nb, 0)
        diagonal = gram.diagonal[safe] * (1.0 + dropout / (1.0 - dropout))
        for out, lam in zip(outs, l2s):
            a[:, eye] = np.where(valid, diagonal + lam, 1.0)
            out[start:start + nb.shape[0]] = np.linalg.solve(a, rhs[:, :, None])[:, :, 0]

    # One BLAS thread per solve (threaded LAPACK on many small systems is 10-100x slower; set
    # once: each `threadpool_limits` scans the process's libraries), and the batches spread
    # over the cores: LAPACK and NumPy's gathers release the GIL.
    with threadpool_limits(1, user_api="blas"), futures.ThreadPoolExecutor(
            SOLVE_THREADS) as pool:
        list(pool.map(solve_batch, range(0, n, step)))
    results = [_to_csr(out, nbrs, n) for out in outs]
    return results if np.ndim(l2) else results[0]


def weight_scale(gram: PrunedGram) -> float:
    """The mean positive Gram diagonal (an item's weight sum), the unit of the L2 grid."""
    positive = gram.diagonal[gram.diagonal > 0]
    return float(positive.mean()) if positive.size else 1.0


def best_l2(gram: PrunedGram, neighbours: int, validation, dropout: float = 0.0,
            centre: float = 0.0):
    """(l2, its W, {l2: validation NDCG}, [users] NDCG of each validation user at l2) of the
    best ridge weight on a validation slice (`auto_settings.Validation`, scores = source rows
    @ W) over `L2_GRID` x `weight_scale` (or the grid of the same ratios with `centre` in
    its middle, e.g. a related search's best), the grid extended past a winning edge.

    Only the best W is kept while searching: each is items x neighbours.
    """
    grid, best = {}, (None, None, None)

    def trial(values):
        nonlocal best
        for lam, w in zip(values, item_item(gram, neighbours, values, dropout)):
            per_user = validation.ndcg_per_user(lambda src, w=w: (src @ w).toarray())
            grid[lam] = float(per_user.mean())
            if best[0] is None or grid[lam] > grid[best[0]]:
                best = (lam, w, per_user)

    unit = centre / L2_GRID[len(L2_GRID) // 2] if centre > 0 else weight_scale(gram)
    trial([c * unit for c in L2_GRID])
    for _ in range(L2_EXTENSIONS):
        if best[0] == max(grid):
            trial([best[0] * L2_STEP])
        elif best[0] == min(grid):
            trial([best[0] / L2_STEP])
        else:
            break
    return best[0], best[1], grid, best[2]


def _to_csr(weights: np.ndarray, nbrs: np.ndarray, n: int) -> sp.csr_matrix:
    cols = np.repeat(np.arange(n, dtype=np.int64), nbrs.shape[1])
    rows = nbrs.ravel()
    keep = (rows >= 0) & (weights.ravel() != 0)
    w = sp.csr_matrix((weights.ravel()[keep], (rows[keep], cols[keep])), shape=(n, n),
                      dtype=np.float32)
    w.sort_indices()
    return w


def _local_systems(entries: sp.csr_matrix, nb: np.ndarray, targets: np.ndarray):
    """G restricted to each target's neighbourhood: ([B, k, k] G_NN, [B, k] G_Nj).

    The Gram entries among all the batch's neighbours are read once as one dense block
    (a few thousand items square), then gathered per target.
    """
    union, position = np.unique(np.concatenate([nb.ravel(), targets]), return_inverse=True)
    block = entries[union][:, union].toarray()
    pos = position[:nb.size].reshape(nb.shape)
    target_pos = position[nb.size:]
    return block[pos[:, :, None], pos[:, None, :]], block[pos, target_pos[:, None]]


def prune_rows(w: sp.csr_matrix, per_row: int) -> sp.csr_matrix:
    """Keeps the `per_row` largest-magnitude entries of each row (serving gathers whole rows,
    so a row's length bounds the work per history item)."""
    w = w.tocsr()
    lengths = np.diff(w.indptr)
    if lengths.size == 0 or lengths.max() <= per_row:
        return w
    rows = np.repeat(np.arange(w.shape[0]), lengths)
    order = np.lexsort((-np.abs(w.data), rows))
    rank = np.arange(w.nnz) - np.repeat(w.indptr[:-1], lengths)
    keep = order[rank < per_row]  # `order` is grouped by row, so rank counts within the row
    out = sp.csr_matrix((w.data[keep], (rows[keep], w.indices[keep])), shape=w.shape,
                        dtype=w.dtype)
    out.sort_indices()
    return out
