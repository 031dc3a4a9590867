"""How much ratings weigh: chosen on the validation slice, not fixed for one data set.

Interactions weigh (rating / mean rating) ** power in the closed forms and the stored
histories (`Interactions.weights`). Whether a rating column helps depends on the data: star
ratings of films are informative (MovieLens-100K: NDCG@10 0.4517 with power 0.5 against
0.4443 binary), noisy or heavy-tailed strengths (play counts, half-star noise) can hurt
(`bench/results/rating_power.md`). So with `ModelConfig.rating_power=None` the trainer fits
a small item-item model (EDLAE on `PROBE_NEIGHBOURS` neighbours, its ridge weight searched
as the history agent's) at each power of `POWERS` on the validation slice and keeps the best;
a power must beat binary weights (`auto_settings.earns_its_cost`), since ignoring the
column is the simpler model. Large data is probed on a seeded sample of its users and its
most popular items, so the probe costs seconds at any size.
"""

import time
from typing import Dict, Optional, Tuple

import numpy as np

from rec_model import auto_settings
from rec_model.closed_forms import gram, neighbourhood
from rec_model.interactions import Interactions

POWERS = (0.0, 0.5)  # binary, or ratings at the square root of their relative size
DEFAULT_POWER = 0.5  # when nothing can tell (no validation slice)
# The probe's size is bounded whatever the data's: a sample of users, the most popular items,
# a few thousand validation users (the powers are compared on the same users, paired).
PROBE_NEIGHBOURS = 16
PROBE_USERS = 50_000
PROBE_ITEMS = 10_000
PROBE_VALIDATION_USERS = 2_000
SETTINGS_KEY = "rating_weights"  # the choice's entry in the trainer's settings


def has_ratings(data: Interactions) -> bool:
    """Whether the data carries ratings that differ (else every power weighs alike)."""
    return data.rating is not None and data.size > 0 and bool(np.ptp(data.rating) > 0)


def choose(requested: Optional[float], rest: Interactions, held: Interactions,
           max_users: int, seed: int, dropout: float) -> Tuple[float, Dict[str, float]]:
    """(power, report): `requested` when set; else the best of `POWERS` on the slice.

    Args:
        requested: `ModelConfig.rating_power` (None = choose).
        rest / held: the training part and the held-out slice (`Interactions.split_per_user`).
        max_users: validation users at most (`ModelConfig.gate_users`).
        seed: seeds the user samples.
        dropout: the item-item solve's EDLAE dropout.

    Returns:
        The power, and {"rating_power": power, "validation_ndcg@20_power=P": ...,
        "seconds": the probe's time} (only the power when nothing was compared).
    """
    if requested is not None:
        return float(requested), {"rating_power": float(requested)}
    if not has_ratings(rest):
        return 0.0, {"rating_power": 0.0}
    start = time.perf_counter()
    rest, held = probe_data(rest, held, seed)
    scores = {}
    for power in POWERS:
        validation = auto_settings.Validation.from_split(
            rest, held, min(max_users, PROBE_VALIDATION_USERS), seed, power)
        if validation is None:
            return DEFAULT_POWER, {"rating_power": DEFAULT_POWER}
        scores[power] = _item_item_ndcg(rest.matrix(power), validation, dropout)
    binary = scores[0.0]
    best = max(scores, key=scores.get)
    chosen = best if auto_settings.earns_its_cost(scores[best], binary) else 0.0
    return chosen, {"rating_power": chosen,
                    **{f"validation_ndcg@20_power={p:g}": v for p, v in scores.items()},
                    "seconds": time.perf_counter() - start}


def _item_item_ndcg(matrix, validation, dropout: float) -> float:
    """Validation NDCG of the best ridge weight of a `PROBE_NEIGHBOURS` item-item model."""
    items = matrix.shape[1]
    k = min(PROBE_NEIGHBOURS, auto_settings.neighbours_for(items))
    pruned = gram.pruned_gram(matrix, auto_settings.gram_width_for(items, k))
    _, _, grid, _ = neighbourhood.best_l2(pruned, k, validation, dropout)
    return max(grid.values())


def probe_data(rest: Interactions, held: Interactions, seed: int):
    """Both parts restricted to a seeded sample of `PROBE_USERS` users of `rest` and to its
    `PROBE_ITEMS` most frequent items (renumbered), or unchanged when within both bounds."""
    users = np.unique(rest.user_index)
    if users.size > PROBE_USERS:
        users = np.random.default_rng(seed).choice(users, PROBE_USERS, replace=False)
        rest = rest.subset(np.isin(rest.user_index, users))
        held = held.subset(np.isin(held.user_index, users))
    if rest.num_items <= PROBE_ITEMS:
        return rest, held
    top = np.sort(np.argsort(-rest.item_counts(), kind="stable")[:PROBE_ITEMS])
    renumbered = np.full(rest.num_items, -1, np.int64)
    renumbered[top] = np.arange(top.size)

    def restricted(part):
        keep = renumbered[part.item_index] >= 0
        return Interactions(part.user_index[keep], renumbered[part.item_index[keep]],
                            part.num_users, top.size,
                            rating=None if part.rating is None else part.rating[keep])

    return restricted(rest), restricted(held)
