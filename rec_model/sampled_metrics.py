"""Metrics over a bounded, seeded sample of users, with a confidence interval.

At a million users, scoring every user's full ranking costs more than the training step it
gates; a few thousand users measure a mean metric to about +-0.01. `sample_users` picks the
users (the same for the evaluator and the trainer's validation), `mean_with_ci` reports the
mean of per-user values with its confidence interval, so the sample size is visible.
"""

import hashlib
import math
import statistics
import typing
from typing import Iterable, List, Sequence

import numpy as np


def _rank(user_id, seed: int) -> bytes:
    return hashlib.blake2b(f"{seed}\x1f{user_id}".encode("utf-8"), digest_size=8).digest()


def sample_users(user_ids: Iterable, max_users: int, seed: int = 42) -> List:
    """A seeded sample of at most `max_users` distinct ids, sorted.

    Each id is ranked by a seeded hash of its text and the lowest `max_users` are kept, so the
    sample does not depend on the input order or duplicates, a larger sample contains a
    smaller one (same seed), and adding users to the data moves few of the sampled ones.

    Args:
        user_ids: ids (str or int; anything whose `str` identifies it).
        max_users: sample size; 0 or at least the number of distinct ids = all of them.
        seed: selects the sample.

    Returns:
        The sampled ids, sorted.
    """
    if max_users < 0:
        raise ValueError(f"max_users must be >= 0 (0 = all users), got {max_users}")
    if isinstance(user_ids, np.ndarray):
        ids = np.unique(user_ids).tolist()
    else:
        ids = sorted(set(user_ids))
    if not max_users or len(ids) <= max_users:
        return ids
    return sorted(sorted(ids, key=lambda u: _rank(u, seed))[:max_users])


class MeanCI(typing.NamedTuple):
    """Mean of per-user values with its confidence interval.

    Attributes:
        mean: the sample mean.
        low, high: the interval (NaN with fewer than 2 values).
        n: number of values.
        confidence: e.g. 0.95.
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def as_list(self) -> list:
        """[low, high] for JSON (None when undefined)."""
        return [None if math.isnan(v) else v for v in (self.low, self.high)]


def mean_with_ci(values: Sequence[float], confidence: float = 0.95) -> MeanCI:
    """Mean and normal-approximation confidence interval: mean +- z * sd / sqrt(n).

    Per-user ranking metrics are bounded in [0, 1] and the samples are in the thousands, so
    the central limit theorem makes the normal interval accurate; it needs no resampling.

    Args:
        values: [n] per-user metric values.
        confidence: coverage of the interval, in (0, 1).

    Raises:
        ValueError: no values, or confidence outside (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError("mean_with_ci needs at least one value")
    mean = float(array.mean())
    if array.size < 2:
        return MeanCI(mean, math.nan, math.nan, 1, confidence)
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2.0)
    half = z * float(array.std(ddof=1)) / math.sqrt(array.size)
    return MeanCI(mean, mean - half, mean + half, int(array.size), confidence)


def paired_difference_ci(a: Sequence[float], b: Sequence[float],
                         confidence: float = 0.95) -> MeanCI:
    """`mean_with_ci` of a - b over the same users (tighter than comparing two intervals)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same users: {a.shape} vs {b.shape}")
    return mean_with_ci(a - b, confidence)
