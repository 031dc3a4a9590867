"""Settings derived from the data, and the validation slice that chooses the rest.

Size-driven settings follow a compute budget (`neighbours_for`); data-driven ones (ridge
weights, ranks) are picked by NDCG on a validation slice carved from the training data
(`Validation`), so no default depends on one data set.
"""

import dataclasses
import math
from typing import Callable, Optional

import numpy as np
import scipy.sparse as sp

from rec_model import sampled_metrics
from rec_model.interactions import Interactions

SOLVE_BUDGET_FLOPS = 2e10  # items x neighbours^3 of the item-item solves
MIN_NEIGHBOURS, MAX_NEIGHBOURS = 16, 128
GRAM_WIDTH_FACTOR = 4  # the pruned Gram keeps this many times the solve's neighbours
# The item-item agent also tries this many times the budget's neighbours on its validation
# slice (8x the solve work) while the pruned Grams of that width stay this many entries.
GROWN_NEIGHBOURS_FACTOR, GROWN_GRAM_ENTRIES = 2, 2e7
VALIDATION_K = 20
MIN_RELATIVE_GAIN = 0.002  # a more complex setting must beat the simpler by 0.2%
ONE_STANDARD_ERROR = math.erf(1.0 / math.sqrt(2.0))  # confidence of a mean +- 1 standard error
DENSE_SCORE_BUDGET = 2e9  # validation users x items ranked in full per setting tried
MIN_SCORED_USERS = 1000  # ... but never fewer users than this
# Users + items from which Adam's dense per-step update of every embedding row costs more
# than about a quarter of a pairs step (about 1 ms per 1,000 rows per agent, measured at
# 1M users x 100k items: 1.1 of a cf step's 1.3 s; bench/results/optimizer_step.md).
LAZY_UPDATE_ROWS = 50_000
SCORE_CELLS = 1 << 25  # users x items scored at once when choosing or evaluating (128-256 MB)
# Users a request may search the catalogue for in one [users, items] block (the server's
# default row limit, `serving.request_limits`, is the same 1,024).
UNCHUNKED_USERS = 1024


def neighbours_for(num_items: int, requested: int = 0) -> int:
    """Regressors per item: `requested`, or the most the solve budget allows."""
    if requested:
        return int(max(1, min(requested, num_items - 1)))
    budget = int((SOLVE_BUDGET_FLOPS / max(num_items, 1)) ** (1.0 / 3.0))
    return int(max(1, min(num_items - 1, MAX_NEIGHBOURS, max(MIN_NEIGHBOURS, budget))))


def gram_width_for(num_items: int, neighbours: int) -> int:
    """Entries per item the pruned Gram keeps for a solve on `neighbours` regressors."""
    return int(min(num_items - 1, GRAM_WIDTH_FACTOR * neighbours))


def grown_neighbours_for(num_items: int, neighbours: int) -> int:
    """A larger neighbourhood than `neighbours` for the validation slice to weigh, or 0 when
    the catalogue has no more items or its Gram would pass GROWN_GRAM_ENTRIES (the largest
    catalogues: memory, not the solve, bounds them)."""
    grown = int(min(num_items - 1, GROWN_NEIGHBOURS_FACTOR * neighbours))
    if grown <= neighbours or num_items * gram_width_for(num_items, grown) > GROWN_GRAM_ENTRIES:
        return 0
    return grown


def epochs_for(num_pairs: int, requested: int = 0, visits: float = 4e6,
               lowest: int = 1, highest: int = 20) -> int:
    """Passes over the training pairs: `requested`, or about `visits` example visits.

    Large data gets one epoch (of at most `steps_per_epoch_for`'s cap): its steps, not the
    passes, are what the training budget pays for.
    """
    if requested:
        return int(requested)
    return int(np.clip(round(visits / max(num_pairs, 1)), lowest, highest))


def batch_size_for(num_pairs: int, requested: int = 0, steps: int = 2000,
                   lowest: int = 1024, highest: int = 8192) -> int:
    """Pairs per step: `requested`, or enough for about `steps` steps per epoch."""
    if requested:
        return int(requested)
    return int(np.clip(num_pairs // steps, lowest, highest))


def negatives_for(batch_size: int, requested: int = 0, logits_per_step: int = 2 ** 20) -> int:
    """Shared negatives per step: `requested`, or a constant logits budget per step (all of
    a small batch; fewer as batches grow), between 128 and 1024."""
    if requested:
        return int(requested)
    return int(np.clip(logits_per_step // max(batch_size, 1), 128, 1024))


def optimizer_for(requested: str, num_users: int, num_items: int) -> str:
    """`requested`, or for "auto": Keras' Adam while its dense update of every embedding row
    each step is cheap, LazyAdam (the batch's rows only) from LAZY_UPDATE_ROWS rows on."""
    if requested != "auto":
        return requested
    return "lazy_adam" if num_users + num_items >= LAZY_UPDATE_ROWS else "adam"


def users_per_call(num_items: int, cap: int = 256) -> int:
    """Users per call when every item (or a brute-force top-k over the catalogue) is scored:
    at most `cap`, fewer for a large catalogue so a [users, items] block stays SCORE_CELLS."""
    return int(max(1, min(cap, SCORE_CELLS // max(num_items, 1))))


def whole_catalogue_rows(num_items: int) -> bool:
    """Whether UNCHUNKED_USERS rows of every item fit one SCORE_CELLS block: a brute-force
    search then scores a request at once, and per-row item sets and sums are dense [rows,
    items] arrays (a segment sum: no hashing, which costs more at that size)."""
    return users_per_call(num_items, cap=UNCHUNKED_USERS) >= UNCHUNKED_USERS


def steps_per_epoch_for(num_pairs: int, batch_size: int, cap: int = 1000) -> int:
    """Steps of one training "epoch": a pass over the pairs, at most `cap` steps (large data
    then trains on fresh samples each epoch and early stopping looks more often)."""
    return int(max(1, min(cap, -(-num_pairs // batch_size))))


@dataclasses.dataclass
class Validation:
    """Held-out items of a sample of users, for choosing settings.

    Attributes:
        users: [n] user indices.
        source: [n, items] CSR weights of their remaining (input) interactions.
        target: [n, items] CSR 1 for each held-out item not in the source.
    """

    users: np.ndarray
    source: sp.csr_matrix
    target: sp.csr_matrix

    @classmethod
    def from_split(cls, rest: Interactions, held: Interactions, max_users: int, seed: int,
                   rating_power: float) -> Optional["Validation"]:
        """Users with held-out items (at most `max_users`, sampled); None when there are none."""
        source_all = rest.matrix(rating_power)
        target_all = held.matrix(0.0)
        target_all = (target_all - target_all.multiply(source_all > 0)).tocsr()
        target_all.eliminate_zeros()
        users = np.flatnonzero(target_all.getnnz(axis=1) > 0)
        if users.size == 0:
            return None
        if users.size > max_users:
            users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
        return cls(users, source_all[users], target_all[users])

    def scored_rows(self) -> np.ndarray:
        """Rows `ndcg` ranks: all, or a seeded subset when users x items passes
        DENSE_SCORE_BUDGET (a large catalogue), the same for every setting compared."""
        n, items = self.users.size, self.source.shape[1]
        limit = max(MIN_SCORED_USERS, int(DENSE_SCORE_BUDGET // max(items, 1)))
        if n <= limit:
            return np.arange(n)
        return np.sort(np.random.default_rng(0).choice(n, limit, replace=False))

    def ndcg(self, scores: Callable[[sp.csr_matrix], np.ndarray], k: int = VALIDATION_K) -> float:
        """Mean NDCG@k over `scored_rows`; `scores(source rows)` -> dense [rows, items]."""
        return float(self.ndcg_per_user(scores, k).mean())

    def ndcg_per_user(self, scores: Callable[[sp.csr_matrix], np.ndarray],
                      k: int = VALIDATION_K) -> np.ndarray:
        """[len(scored_rows)] NDCG@k of each scored user, in `scored_rows` order."""
        discounts = 1.0 / np.log2(np.arange(2, k + 2))
        rows = self.scored_rows()
        values = []
        per_chunk = users_per_call(self.source.shape[1], rows.size)
        for start in range(0, rows.size, per_chunk):
            chunk = rows[start:start + per_chunk]
            src = self.source[chunk]
            s = np.asarray(scores(src))
            # Negated: argpartition's smallest first. A float32 block stays float32: the same
            # order, and its partial sort is about 3x faster than float64's.
            s = -s.astype(np.float32 if s.dtype == np.float32 else np.float64, copy=False)
            s[src.nonzero()] = np.inf
            kk = min(k, s.shape[1] - 1)
            top = np.argpartition(s, kk, axis=1)[:, :kk]
            top = np.take_along_axis(top, np.argsort(np.take_along_axis(s, top, 1), 1), 1)
            tgt = self.target[chunk]
            hits = np.asarray(np.take_along_axis(tgt.toarray() > 0, top, 1), np.float64)
            n = np.minimum(tgt.getnnz(axis=1), kk)
            values.append(hits @ discounts[:kk] / np.cumsum(discounts)[n - 1])
        return np.concatenate(values) if values else np.zeros(0)


def earns_its_cost(score: float, simpler: float) -> bool:
    """Whether a more complex setting (one more agent in the blend, a per-user gate, rating
    weights) is worth having when only mean validation scores are at hand: it beats the
    simpler one's by at least MIN_RELATIVE_GAIN. A smaller gain is within a slice's noise,
    while the complexity costs fitting time, or graph nodes and CPU on every request."""
    return score > simpler * (1.0 + MIN_RELATIVE_GAIN)


def beats_beyond_paired_error(candidate: np.ndarray, baseline: np.ndarray) -> bool:
    """`earns_its_cost` for settings scored user by user: the candidate's mean NDCG beats the
    baseline's by more than one standard error of their per-user difference (paired: both
    rank the same users), a bar that follows the slice's own noise.

    Args:
        candidate, baseline: [users] NDCG of each validation user, in the same order.
    """
    gap = sampled_metrics.paired_difference_ci(candidate, baseline, ONE_STANDARD_ERROR)
    return bool(gap.low > 0.0) if gap.n > 1 else gap.mean > 0.0
