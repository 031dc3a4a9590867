"""Items without interactions borrow the fitted state of their text neighbours.

A cold item c gets weights w_c = softmax(cos(text_c, text_j) / temperature) over its
`neighbours` most text-similar items j with interactions; its row of a factor table (or
its column of the item-item matrix) becomes the w_c-weighted mix of theirs, so it ranks on
the same scale as warm items in every agent. A factor row is also rescaled to its neighbours'
w_c-weighted mean norm: its score is a projection on the user's vector, and a mix of rows that
point different ways is shorter than each of them, so unscaled every cold item would score
below its own neighbours for every user. An item-item column needs no such scale: its score
is a sum of its entries over the user's history, and the mix spreads its neighbours' total
weight over the union of their columns, keeping it.
"""

from typing import Optional

import numpy as np
import scipy.sparse as sp

from rec_model.closed_forms import neighbourhood

_BLOCK_CELLS = 16_000_000  # [cold block, warm] float32 similarities per step (64 MB)
EXACT_SEARCH_CELLS = 4e9  # cold x warm cosines computed exactly; above, an inverted file
_PROBES = 8  # clusters of the inverted file searched per cold item
_TRAIN_PER_CLUSTER = 64  # k-means sample size per cluster
_KMEANS_STEPS = 8


def text_mixing(text: np.ndarray, known: np.ndarray, neighbours: int,
                temperature: float, seed: int = 0,
                only: Optional[np.ndarray] = None) -> Optional[sp.csr_matrix]:
    """[items, items] CSR M with M[j, c] = w_cj for cold c and warm j (None: nothing to mix).

    Items whose text embedding is all zeros are left out (they have no text to match). The
    neighbours are exact while cold x warm stays under EXACT_SEARCH_CELLS; above it (a large
    catalogue with a long cold tail, where the exact search grows with cold x warm) they come
    from an inverted file: warm items in about sqrt(warm) k-means clusters, each cold item
    compared with the members of its `_PROBES` nearest clusters.

    Args:
        text: [items, dim] text embeddings.
        known: [items] bool, True = the item has interactions.
        neighbours: warm neighbours per cold item (0 = off).
        temperature: softmax temperature over cosines (> 0).
        seed: seeds the k-means of the inverted file.
        only: optional [items] bool: mix these cold items alone (the others get no column).
    """
    known = np.asarray(known, bool)
    norms = np.linalg.norm(text, axis=1)
    wanted = ~known if only is None else ~known & np.asarray(only, bool)
    cold = np.flatnonzero(wanted & (norms > 0))
    warm = np.flatnonzero(known & (norms > 0))
    if neighbours <= 0 or cold.size == 0 or warm.size == 0:
        return None
    m = int(min(neighbours, warm.size))
    unit_cold = (text[cold] / norms[cold, None]).astype(np.float32)
    unit_warm = (text[warm] / norms[warm, None]).astype(np.float32)
    if float(cold.size) * warm.size <= EXACT_SEARCH_CELLS:
        top, sim = _exact_top(unit_cold, unit_warm, m)
    else:
        top, sim = _inverted_file_top(unit_cold, unit_warm, m, np.random.default_rng(seed))
    found = np.isfinite(sim)  # the inverted file may find fewer than m for a cold item
    logits = np.where(found, sim.astype(np.float64) / temperature, -np.inf)
    peak = logits.max(axis=1, keepdims=True)
    w = np.where(found, np.exp(logits - np.where(np.isfinite(peak), peak, 0.0)), 0.0)
    w /= np.maximum(w.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)
    n = text.shape[0]
    mixing = sp.csr_matrix((w.ravel(), (warm[top].ravel(), np.repeat(cold, m))), shape=(n, n),
                           dtype=np.float64)
    mixing.eliminate_zeros()
    return mixing


def _exact_top(query: np.ndarray, base: np.ndarray, m: int):
    """Each query row's m best base rows by dot product: (indices [q, m], values [q, m])."""
    tops, sims = [], []
    step = max(1, _BLOCK_CELLS // base.shape[0])
    for start in range(0, query.shape[0], step):
        sim = query[start:start + step] @ base.T  # [b, base]
        # A copy: the slice alone would keep the whole [b, base] int64 partition alive, and
        # the list would then hold 8 bytes per query x base cell by the last block.
        top = np.argpartition(-sim, m - 1, axis=1)[:, :m].copy()
        tops.append(top)
        sims.append(np.take_along_axis(sim, top, 1))
    return np.concatenate(tops), np.concatenate(sims)


def _inverted_file_top(query: np.ndarray, base: np.ndarray, m: int, rng):
    """`_exact_top` restricted to the members of each query's `_PROBES` nearest k-means
    clusters of `base` (unit rows): work query x (clusters + probes x cluster size)."""
    clusters = max(1, int(np.sqrt(base.shape[0])))
    centroids = _spherical_kmeans(base, clusters, rng)
    member_of, _ = _exact_top(base, centroids, 1)
    probes, _ = _exact_top(query, centroids, min(_PROBES, clusters))
    members_by_cluster = _grouped(member_of[:, 0], clusters)
    asking_by_cluster = _grouped(probes, clusters)
    best_top = np.zeros((query.shape[0], m), np.int64)
    best_sim = np.full((query.shape[0], m), -np.inf, np.float32)
    for members, asking in zip(members_by_cluster, asking_by_cluster):
        if members.size == 0 or asking.size == 0:
            continue
        top, sim = _exact_top(query[asking], base[members], min(m, members.size))
        both_top = np.concatenate([best_top[asking], members[top]], axis=1)
        both_sim = np.concatenate([best_sim[asking], sim], axis=1)
        keep = np.argpartition(-both_sim, m - 1, axis=1)[:, :m]
        best_top[asking] = np.take_along_axis(both_top, keep, 1)
        best_sim[asking] = np.take_along_axis(both_sim, keep, 1)
    return best_top, best_sim  # -inf where the probed clusters held fewer than m items


def _grouped(labels: np.ndarray, groups: int):
    """For each group g < `groups`, the rows of `labels` ([n] or [n, p], distinct labels per
    row) holding g, ascending: one sort instead of a scan of every row per group."""
    labels = labels.reshape(labels.shape[0], -1)
    order = np.argsort(labels.ravel(), kind="stable")
    bounds = np.searchsorted(labels.ravel()[order], np.arange(groups + 1))
    rows = order // labels.shape[1]
    return [rows[bounds[g]:bounds[g + 1]] for g in range(groups)]


def _spherical_kmeans(unit: np.ndarray, clusters: int, rng) -> np.ndarray:
    """[clusters, dim] unit centroids of a sample of the unit rows (cosine k-means)."""
    sample = unit[rng.choice(unit.shape[0], min(unit.shape[0], clusters * _TRAIN_PER_CLUSTER),
                             replace=False)]
    centroids = sample[rng.choice(sample.shape[0], clusters, replace=False)].copy()
    for _ in range(_KMEANS_STEPS):
        nearest, _ = _exact_top(sample, centroids, 1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest[:, 0], sample)
        empty = ~sums.any(axis=1)
        sums[empty] = centroids[empty]  # an empty cluster keeps its centre
        centroids = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    return centroids


def impute_rows(table: np.ndarray, mixing: Optional[sp.csr_matrix]) -> np.ndarray:
    """Factor table [items, d] with cold rows replaced by their text neighbours' mix."""
    if mixing is None:
        return table
    cold = np.flatnonzero(np.diff(mixing.tocsc().indptr) > 0)
    by_cold = mixing[:, cold].T  # [cold, items]
    table64 = table.astype(np.float64)
    mixed = by_cold @ table64
    scale = _norm_ratio(by_cold @ np.linalg.norm(table64, axis=1),
                        np.linalg.norm(mixed, axis=1))
    out = np.array(table, copy=True)
    out[cold] = (mixed * scale[:, None]).astype(table.dtype)
    return out


def mix_norm_ratio(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """[n] float64 `impute_rows`' scale of each weighted mix of `rows` [n, m, d] by
    `weights` [n, m]: the rows' weighted mean norm over the mix's norm."""
    rows, weights = rows.astype(np.float64), weights.astype(np.float64)
    mixed = np.einsum("nm,nmd->nd", weights, rows)
    return _norm_ratio((weights * np.linalg.norm(rows, axis=2)).sum(axis=1),
                       np.linalg.norm(mixed, axis=1))


def _norm_ratio(target: np.ndarray, have: np.ndarray) -> np.ndarray:
    """target / have, 0 where a mix is empty."""
    return np.divide(target, have, out=np.zeros_like(target), where=have > 0)


def impute_columns(matrix: sp.csr_matrix, mixing: Optional[sp.csr_matrix],
                   per_column: int = 0, block_entries: int = 20_000_000) -> sp.csr_matrix:
    """Item-item matrix W [items, items] with cold columns W[:, c] = sum_j w_cj W[:, j].

    A mixed column holds the union of its text neighbours' columns, so a long cold tail
    (hundreds of thousands of cold items, each mixing popular columns) would hold far more
    entries than W itself. Cold columns are mixed in blocks of at most about `block_entries`
    entries, and each keeps its `per_column` largest-magnitude entries, so memory stays
    within items x neighbours.

    Args:
        matrix: W [items, items] CSR; its cold columns are replaced.
        mixing: text mixing [items, items] (None: W is returned as is).
        per_column: entries kept per cold column (0 = all).
        block_entries: bound on the mixed entries held at once, before the cap.
    """
    if mixing is None:
        return matrix
    mixing = mixing.tocsc()
    cold = np.flatnonzero(np.diff(mixing.indptr) > 0)
    keep = np.ones(matrix.shape[1], bool)
    keep[cold] = False
    wide = matrix.astype(np.float64).tocsr()
    by_cold = mixing[:, cold]
    # Upper bound of each mixed column's entries: the summed lengths of its neighbours' columns.
    lengths = np.bincount(wide.indices, minlength=wide.shape[1]).astype(np.float64)
    bound = by_cold.T.astype(bool).astype(np.float64) @ lengths
    mixed = [_capped_mix(wide, by_cold[:, lo:hi], per_column).astype(matrix.dtype)
             for lo, hi in _blocks(bound, block_entries)]
    mixed = sp.hstack(mixed, format="csc")
    spread = sp.csr_matrix((np.ones(cold.size, matrix.dtype), (np.arange(cold.size), cold)),
                           shape=(cold.size, matrix.shape[1]))
    out = (matrix @ sp.diags(keep.astype(matrix.dtype)) + mixed @ spread).tocsr()
    out.eliminate_zeros()
    out.sort_indices()
    return out


def _blocks(bound: np.ndarray, limit: float):
    """(start, stop) ranges of consecutive columns whose bounds sum to at most `limit` (one
    column per range at least)."""
    start, total = 0, 0.0
    for column, size in enumerate(bound):
        if column > start and total + size > limit:
            yield start, column
            start, total = column, 0.0
        total += size
    if start < bound.size:
        yield start, bound.size


def _capped_mix(wide: sp.csr_matrix, mixing: sp.csc_matrix, per_column: int) -> sp.csc_matrix:
    """W @ mixing [items, block], each column cut to its `per_column` largest magnitudes."""
    filled = (wide @ mixing).tocsc()
    if not per_column:
        return filled
    return neighbourhood.prune_rows(filled.T.tocsr(), per_column).T.tocsc()
