"""Closed-form neighbourhood models of the history and CF agents, and cold-item imputation.

* `item_item`: EDLAE (Steck, NeurIPS 2020, "Autoencoders that don't overfit towards the
  identity") with the zero-diagonal constraint; dropout 0 gives EASE (Steck, WWW 2019).
* `user_user`: the same estimator over users (row u of the result scores user u from the
  other users' rows), a signal the item-item model does not see.
* `spectral_filter`: the ideal low-pass graph filter of GF-CF (Shen et al., CIKM 2021): the
  history projected on the top singular directions of the degree-normalised interaction
  matrix, a global low-rank signal the two neighbourhood models miss.
* `impute_cold_columns`: items without interactions have all-zero columns in both; each
  such column becomes the text-similarity-weighted mean of the columns of its most
  similar items with interactions, so cold items score on the same scale as warm ones.

Pure numpy (float64 solves, float32 results).
"""

from typing import Optional

import numpy as np

MAX_DENSE = 30000  # largest side of a dense [n, n] closed-form solve (float64: ~7 GB)


def _zero_diagonal_solve(gram: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """B = I - P diagMat(1 / diag(P)), P = (gram + diagMat(penalty))^-1, diag(B) = 0."""
    p = np.linalg.inv(gram + np.diag(penalty))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


def item_item(weights: np.ndarray, l2: float, dropout: float = 0.0) -> np.ndarray:
    """EDLAE item-item weights.

    Lambda = diagMat(dropout / (1 - dropout) * diag(G)) + l2 * I, G = X^T X.

    Args:
        weights: [users, items] interaction weights X (0/1, or rating weights).
        l2: ridge weight (> 0).
        dropout: emphasised-denoising dropout probability p in [0, 1); 0 = EASE.

    Returns:
        [items, items] float32 B with a zero diagonal; scores = X @ B.

    Raises:
        ValueError: l2 <= 0 or dropout outside [0, 1).
    """
    if l2 <= 0:
        raise ValueError(f"history_l2={l2} must be > 0 for the closed-form item-item base")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"edlae_dropout={dropout} must be in [0, 1)")
    if np.shape(weights)[1] > MAX_DENSE:
        raise ValueError(f"{np.shape(weights)[1]} items is too many for the dense item-item solve (max {MAX_DENSE}); "
                         "drop the history agent from ModelConfig.agents or shrink the catalogue")
    x = np.asarray(weights, dtype=np.float64)
    gram = x.T @ x
    penalty = dropout / (1.0 - dropout) * np.diag(gram) + l2
    return _zero_diagonal_solve(gram, penalty).astype(np.float32)


def user_user(weights: np.ndarray, l2: float) -> np.ndarray:
    """User-user closed form (EASE over users) applied to the interactions.

    Args:
        weights: [users, items] interaction weights X.
        l2: ridge weight (> 0).

    Returns:
        [users, items] float32 scores C @ X, C = the zero-diagonal user-user weights.
    """
    if l2 <= 0:
        raise ValueError(f"user_l2={l2} must be > 0 for the closed-form user-user scores")
    if np.shape(weights)[0] > MAX_DENSE:
        raise ValueError(f"{np.shape(weights)[0]} users is too many for the dense user-user solve (max {MAX_DENSE}); "
                         "set ModelConfig.user_l2=0 (CF agent = matrix factorisation only)")
    x = np.asarray(weights, dtype=np.float64)
    c = _zero_diagonal_solve(x @ x.T, np.full(x.shape[0], float(l2)))
    return (c @ x).astype(np.float32)


def spectral_filter(weights: np.ndarray, rank: int) -> np.ndarray:
    """The ideal low-pass filter of GF-CF as an item-item matrix: D_i^-1/2 V V^T D_i^1/2.

    V = the top `rank` right singular vectors of R = D_u^-1/2 X D_i^-1/2 (D = user / item
    degrees), found from the eigenvectors of R^T R ([items, items]); scores = X @ filter.

    Args:
        weights: [users, items] interaction weights X.
        rank: number of singular directions kept (>= 1; capped at items - 1).

    Returns:
        [items, items] float32 filter.

    Raises:
        ValueError: rank < 1, or more items than a dense solve allows.
    """
    x = np.asarray(weights, dtype=np.float64)
    if rank < 1:
        raise ValueError(f"spectral_rank={rank} must be >= 1")
    if x.shape[1] > MAX_DENSE:
        raise ValueError(f"{x.shape[1]} items is too many for the dense spectral filter (max {MAX_DENSE}); "
                         "drop the spectral agent from ModelConfig.agents or shrink the catalogue")
    user_degree = np.maximum(x.sum(axis=1), 1e-12)
    item_scale = np.sqrt(np.maximum(x.sum(axis=0), 1e-12))
    r = x / np.sqrt(user_degree)[:, None] / item_scale[None, :]
    _, vectors = np.linalg.eigh(r.T @ r)  # ascending eigenvalues
    v = vectors[:, -min(int(rank), max(x.shape[1] - 1, 1)):]
    return ((v @ v.T) / item_scale[:, None] * item_scale[None, :]).astype(np.float32)


def interaction_weights(user_index: np.ndarray, item_index: np.ndarray, num_users: int, num_items: int,
                        rating: Optional[np.ndarray] = None, power: float = 0.0) -> np.ndarray:
    """[users, items] float32: (rating / mean rating) ** power per interaction, 1 without ratings.

    Args:
        user_index / item_index: [n] int interactions.
        num_users / num_items: matrix size.
        rating: optional [n] explicit ratings (> 0).
        power: 0 = binary; 0.5 = square-root rating weights.
    """
    x = np.zeros((num_users, num_items), np.float32)
    if rating is None or power == 0 or np.asarray(rating).size == 0:
        x[user_index, item_index] = 1.0
        return x
    r = np.asarray(rating, np.float64)
    if np.any(r <= 0):
        raise ValueError("ratings must be > 0 for rating weights; set rating_power=0 or drop non-positive ratings")
    x[user_index, item_index] = (r / r.mean()) ** power
    return x


def impute_cold_columns(matrix: np.ndarray, known: np.ndarray, text_embeddings: np.ndarray,
                        neighbours: int, temperature: float) -> np.ndarray:
    """Fills the columns of items without interactions from their text neighbours.

    For a cold item c: M[:, c] = sum_j w_cj M[:, j] over its `neighbours` most
    text-similar known items j (cosine of the text embeddings), w_c = softmax(cos / temperature).
    Items whose text embedding is all zeros are left as they are.

    Args:
        matrix: [rows, items] (item-item B or user-item scores).
        known: [items] bool, True = the item has training interactions.
        text_embeddings: [items, text_dim].
        neighbours: number of known neighbours (0 = no imputation).
        temperature: softmax temperature over cosine similarities (> 0).

    Returns:
        [rows, items] float32 copy with the cold columns filled.
    """
    out = np.array(matrix, np.float32, copy=True)
    known = np.asarray(known, bool)
    emb = np.asarray(text_embeddings, np.float64)
    norms = np.linalg.norm(emb, axis=1)
    cold = np.flatnonzero(~known & (norms > 0))
    warm = np.flatnonzero(known & (norms > 0))
    if neighbours <= 0 or cold.size == 0 or warm.size == 0:
        return out
    unit = emb / np.maximum(norms, 1e-12)[:, None]
    sim = unit[cold] @ unit[warm].T  # [cold, warm]
    m = min(int(neighbours), warm.size)
    top = np.argpartition(-sim, m - 1, axis=1)[:, :m]
    logits = np.take_along_axis(sim, top, axis=1) / temperature
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    mixing = np.zeros((warm.size, cold.size))
    mixing[top, np.arange(cold.size)[:, None]] = w
    out[:, cold] = (np.asarray(matrix, np.float64)[:, warm] @ mixing).astype(np.float32)
    return out
