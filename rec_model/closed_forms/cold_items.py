"""Items without interactions borrow the fitted state of their text neighbours.

A cold item c gets weights w_c = softmax(cos(text_c, text_j) / temperature) over its
`neighbours` most text-similar items j with interactions; its row of a factor table (or
its column of the item-item matrix) becomes the w_c-weighted mix of theirs, so it ranks on
the same scale as warm items in every agent.
"""

from typing import Optional

import numpy as np
import scipy.sparse as sp

_BLOCK_CELLS = 16_000_000  # [cold block, warm] float32 similarities per step (64 MB)


def text_mixing(text: np.ndarray, known: np.ndarray, neighbours: int,
                temperature: float) -> Optional[sp.csr_matrix]:
    """[items, items] CSR M with M[j, c] = w_cj for cold c and warm j (None: nothing to mix).

    Items whose text embedding is all zeros are left out (they have no text to match).

    Args:
        text: [items, dim] text embeddings.
        known: [items] bool, True = the item has interactions.
        neighbours: warm neighbours per cold item (0 = off).
        temperature: softmax temperature over cosines (> 0).
    """
    known = np.asarray(known, bool)
    norms = np.linalg.norm(text, axis=1)
    cold = np.flatnonzero(~known & (norms > 0))
    warm = np.flatnonzero(known & (norms > 0))
    if neighbours <= 0 or cold.size == 0 or warm.size == 0:
        return None
    m = int(min(neighbours, warm.size))
    unit_warm = (text[warm] / norms[warm, None]).astype(np.float32)
    rows, cols, vals = [], [], []
    step = max(1, _BLOCK_CELLS // warm.size)
    for start in range(0, cold.size, step):
        part = cold[start:start + step]
        sim = (text[part] / norms[part, None]).astype(np.float32) @ unit_warm.T  # [b, warm]
        top = np.argpartition(-sim, m - 1, axis=1)[:, :m]
        logits = np.take_along_axis(sim, top, 1).astype(np.float64) / temperature
        w = np.exp(logits - logits.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        rows.append(warm[top].ravel())
        cols.append(np.repeat(part, m))
        vals.append(w.ravel())
    n = text.shape[0]
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n, n), dtype=np.float64)


def impute_rows(table: np.ndarray, mixing: Optional[sp.csr_matrix]) -> np.ndarray:
    """Factor table [items, d] with cold rows replaced by their text neighbours' mix."""
    if mixing is None:
        return table
    cold = np.flatnonzero(np.diff(mixing.tocsc().indptr) > 0)
    out = np.array(table, copy=True)
    out[cold] = (mixing[:, cold].T @ table.astype(np.float64)).astype(table.dtype)
    return out


def impute_columns(matrix: sp.csr_matrix, mixing: Optional[sp.csr_matrix]) -> sp.csr_matrix:
    """Item-item matrix W [items, items] with cold columns W[:, c] = sum_j w_cj W[:, j]."""
    if mixing is None:
        return matrix
    filled = (matrix.astype(np.float64) @ mixing).astype(matrix.dtype)
    cold = np.flatnonzero(np.diff(mixing.tocsc().indptr) > 0)
    keep = np.ones(matrix.shape[1], bool)
    keep[cold] = False
    out = (matrix @ sp.diags(keep.astype(matrix.dtype)) + filled).tocsr()
    out.eliminate_zeros()
    out.sort_indices()
    return out
