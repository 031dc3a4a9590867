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
whatever the imputed columns push out of the top of the list.

The slice measures what exposure of the cold items costs the warm ones, not what new items
gain from it later, so the choice leans towards exposure (the largest scale within a tolerance
of the best mean) as far as the cold items look new rather than rare. A sample leaves some
items of a long tail unseen by chance, at least f1^2 / (2 f2) of them by Chao's lower bound
(f1 items seen once, f2 twice). A data set whose catalogue is the items it holds, split at
random, has fewer cold items than that: they are the tail's chance misses, whose imputed
columns mostly push better items out. A catalogue with as many or more (new additions,
items held out whole, a catalogue wider than its interactions) keeps the lean. The tolerance
is one standard error of the best mean times min(1, cold items / Chao's bound): the
one-standard-error rule of model selection in the second case, the best mean in the first.
"""

from typing import Dict, Tuple

import numpy as np
import scipy.sparse as sp

from rec_model.closed_forms import cold_items

SCALES = (0.0, 0.25, 0.5, 1.0)  # x the text neighbours' mixed column
SIMULATED_SHARE = 0.1  # of the warm items with text, made cold for the choice
MAX_SIMULATED = 20_000  # bounds the extra text search and imputation of a large catalogue


def simulated_cold(text: np.ndarray, known: np.ndarray, seed: int,
                   share: float = SIMULATED_SHARE) -> np.ndarray:
    """[items] bool: a seeded uniform `share` of the warm items that have text."""
    eligible = np.flatnonzero(np.asarray(known, bool) & (np.linalg.norm(text, axis=1) > 0))
    chosen = np.zeros(known.shape[0], bool)
    size = min(MAX_SIMULATED, int(round(share * eligible.size)))
    if size >= 1:
        chosen[np.random.default_rng(seed).choice(eligible, size, replace=False)] = True
    return chosen


def new_item_share(counts: np.ndarray) -> float:
    """min(1, f0 / Chao's f1^2 / (2 f2)): how far the items without interactions exceed what
    a sample of this size leaves unseen by chance (f1 (f1 - 1) / 2 when no item is seen
    twice); 0 without cold items, 1 when no item is seen once.

    Args:
        counts: [items] interactions per item.
    """
    f0, f1, f2 = (int(np.count_nonzero(counts == c)) for c in (0, 1, 2))
    unseen_by_chance = f1 * f1 / (2.0 * f2) if f2 else f1 * (f1 - 1) / 2.0
    if f0 == 0:
        return 0.0
    return 1.0 if unseen_by_chance <= 0 else float(min(1.0, f0 / unseen_by_chance))


def choose_scale(w: sp.csr_matrix, text: np.ndarray, counts: np.ndarray, validation,
                 neighbours: int, temperature: float, per_column: int, seed: int
                 ) -> Tuple[float, Dict[float, float]]:
    """(scale, {scale: validation NDCG}) for the cold columns of W, 1.0 when nothing can tell.

    Args:
        w: W [items, items] fitted on the slice's training part, cold columns not imputed.
        text: [items, text_dim] item text embeddings.
        counts: [items] training interactions per item (0 = cold).
        validation: `auto_settings.Validation` (source rows of the same training part).
        neighbours / temperature: the text mixing's (`cold_items.text_mixing`).
        per_column: entries kept per imputed column, as in the model.
        seed: seeds the simulated items and the mixing.
    """
    if validation is None:
        return 1.0, {}
    known = np.asarray(counts) > 0
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
    chosen = _largest_within_errors(per_user, new_item_share(np.asarray(counts)))
    return chosen, {s: float(v.mean()) for s, v in per_user.items()}


def _largest_within_errors(per_user: Dict[float, np.ndarray], errors: float) -> float:
    """The largest scale whose mean NDCG is within `errors` standard errors of the best mean
    (the standard error of the best's mean over the users): new items keep their neighbours'
    exposure unless the slice shows a cost beyond its own noise."""
    best = per_user[max(per_user, key=lambda s: per_user[s].mean())]
    error = best.std(ddof=1) / np.sqrt(best.size) if best.size > 1 else 0.0
    return max(s for s, values in per_user.items()
               if best.mean() - values.mean() <= errors * error)
