"""How much an item without interactions borrows from its text neighbours, chosen on a
simulated cold start.

The item-item model gives a cold item c the text-weighted mix of its neighbours' columns
(`cold_items.impute_columns`): at full scale c scores as a typical item of its neighbourhood.
How typical a cold item is depends on the data: a new film is watched like its neighbours,
the unheard tail of a music catalogue is not, and names-only item text may find no real
neighbours at all. The validation slice alone cannot tell: it holds no item without
interactions anywhere. So a seeded share of the warm items is made cold for the choice: their
rows and columns leave W, their columns are imputed from the remaining warm items' text at
each scale of `SCALES`, and the users' histories lose them; the slice's held-out pairs of those
items can then only be found through the imputed columns, and every other pair pays for
whatever the imputed columns push out of the top of the list. The largest scale within one
standard error of the best is kept (the one-standard-error rule of model selection, leaning
towards the neighbours' prior, under which new items get exposure).
"""

from typing import Dict, Tuple

import numpy as np
import scipy.sparse as sp

from rec_model.closed_forms import cold_items

SCALES = (0.0, 0.25, 0.5, 1.0)  # x the text neighbours' mixed column
SIMULATED_SHARE = 0.1  # of the warm items with text, made cold for the choice
MAX_SIMULATED = 20_000  # bounds the extra text search and imputation of a large catalogue


def simulated_cold(text: np.ndarray, known: np.ndarray, seed: int) -> np.ndarray:
    """[items] bool: a seeded uniform `SIMULATED_SHARE` of the warm items that have text."""
    eligible = np.flatnonzero(np.asarray(known, bool) & (np.linalg.norm(text, axis=1) > 0))
    chosen = np.zeros(known.shape[0], bool)
    size = min(MAX_SIMULATED, int(round(SIMULATED_SHARE * eligible.size)))
    if size >= 1:
        chosen[np.random.default_rng(seed).choice(eligible, size, replace=False)] = True
    return chosen


def choose_scale(w: sp.csr_matrix, text: np.ndarray, known: np.ndarray, validation,
                 neighbours: int, temperature: float, per_column: int, seed: int
                 ) -> Tuple[float, Dict[float, float]]:
    """(scale, {scale: validation NDCG}) for the cold columns of W, 1.0 when nothing can tell.

    Args:
        w: W [items, items] fitted on the slice's training part, cold columns not imputed.
        text: [items, text_dim] item text embeddings.
        known: [items] bool, True = the item has training interactions.
        validation: `auto_settings.Validation` (source rows of the same training part).
        neighbours / temperature: the text mixing's (`cold_items.text_mixing`).
        per_column: entries kept per imputed column, as in the model.
        seed: seeds the simulated items and the mixing.
    """
    if validation is None:
        return 1.0, {}
    simulated = simulated_cold(text, known, seed)
    # Items cold in the training part itself (held-out interactions only) are imputed too.
    mixing = cold_items.text_mixing(text, np.asarray(known, bool) & ~simulated, neighbours,
                                    temperature, seed)
    if mixing is None:
        return 1.0, {}
    # Simulated items neither reach nor are reached, nor are in any history.
    kept = sp.diags((~simulated).astype(w.dtype))
    imputed = cold_items.impute_columns((kept @ w @ kept).tocsr(), mixing,
                                        per_column=per_column)
    # A column's kept entries are its largest magnitudes at any positive scale: one
    # imputation, its cold columns scaled, stands for every scale.
    is_cold = np.diff(mixing.tocsc().indptr) > 0
    warm_part = imputed @ sp.diags((~is_cold).astype(imputed.dtype))
    cold_part = imputed @ sp.diags(is_cold.astype(imputed.dtype))
    # float64 histories: float32 sums would break score ties differently.
    hidden = sp.diags((~simulated).astype(np.float64))
    per_user = {}
    for scale in SCALES:
        scaled = (warm_part + cold_part * scale).tocsr()
        per_user[scale] = validation.ndcg_per_user(
            lambda src, m=scaled: ((src @ hidden) @ m).toarray())
    return _largest_within_one_error(per_user), {s: float(v.mean()) for s, v in per_user.items()}


def _largest_within_one_error(per_user: Dict[float, np.ndarray]) -> float:
    """The largest scale whose mean NDCG is within one standard error of the best mean (the
    standard error of the best's mean over the users): new items keep their neighbours'
    exposure unless the slice shows a cost beyond its own noise."""
    best = per_user[max(per_user, key=lambda s: per_user[s].mean())]
    error = best.std(ddof=1) / np.sqrt(best.size) if best.size > 1 else 0.0
    return max(s for s, values in per_user.items() if best.mean() - values.mean() <= error)
