"""Interactions over integer vocabularies, and their sparse and ragged views.

Everything here is sized by the interactions (plus users + items): the sparse matrix is
scipy CSR, histories are (values, row_splits) int arrays. Nothing builds a dense
[users, items] array.
"""

import dataclasses
from typing import Optional, Tuple

import numpy as np
import scipy.sparse as sp

NO_TIME = -1.0e9  # "no timestamp": older than any real one.


@dataclasses.dataclass(frozen=True)
class Interactions:
    """Implicit interactions, optionally weighted and timed.

    Attributes:
        user_index: [n] int64 in [0, num_users).
        item_index: [n] int64 in [0, num_items).
        num_users / num_items: vocabulary sizes.
        timestamp: optional [n] unix seconds (float64).
        rating: optional [n] explicit ratings or other positive interaction strengths;
            `weights` turns them into interaction weights.
        from_feedback: optional [n] bool, True for interactions on lists the live model
            served (they train, but never validate: the model that chose them would look
            better than it is).
    """

    user_index: np.ndarray
    item_index: np.ndarray
    num_users: int
    num_items: int
    timestamp: Optional[np.ndarray] = None
    rating: Optional[np.ndarray] = None
    from_feedback: Optional[np.ndarray] = None

    def __post_init__(self):
        u = np.asarray(self.user_index, np.int64)
        i = np.asarray(self.item_index, np.int64)
        object.__setattr__(self, "user_index", u)
        object.__setattr__(self, "item_index", i)
        if u.shape != i.shape or u.ndim != 1:
            raise ValueError(f"user_index {u.shape} and item_index {i.shape} must be equal-length 1-D")
        if u.size and (u.min() < 0 or u.max() >= self.num_users):
            raise ValueError(f"user_index outside [0, {self.num_users}); map ids through the vocabulary")
        if i.size and (i.min() < 0 or i.max() >= self.num_items):
            raise ValueError(f"item_index outside [0, {self.num_items}); map ids through the vocabulary")
        for name in ("timestamp", "rating"):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, np.float64)
                if value.shape != u.shape:
                    raise ValueError(f"{name} must have one entry per interaction")
                if not np.all(np.isfinite(value)):
                    raise ValueError(f"{name} has NaN or infinite entries; clean the input data")
                object.__setattr__(self, name, value)
        if self.from_feedback is not None:
            flags = np.asarray(self.from_feedback, bool)
            if flags.shape != u.shape:
                raise ValueError("from_feedback must have one entry per interaction")
            object.__setattr__(self, "from_feedback", flags)
        if self.rating is not None and self.rating.size and self.rating.min() <= 0:
            raise ValueError("ratings must be > 0 to act as interaction weights; drop the rating "
                             "column or shift it to positive values")

    @property
    def size(self) -> int:
        return int(self.user_index.size)

    def weights(self, rating_power: float) -> np.ndarray:
        """[n] float32 interaction weights: (rating / mean rating) ** rating_power, 1 without
        ratings (or with rating_power 0)."""
        if self.rating is None or rating_power == 0 or self.size == 0:
            return np.ones(self.size, np.float32)
        return ((self.rating / self.rating.mean()) ** rating_power).astype(np.float32)

    def matrix(self, rating_power: float = 0.0) -> sp.csr_matrix:
        """[users, items] scipy CSR of interaction weights; repeats of a pair keep the largest."""
        weights = self.weights(rating_power)
        key = self.user_index * self.num_items + self.item_index
        order = np.lexsort((weights, key))
        last = np.ones(order.size, bool)  # a repeated pair keeps its own largest weight
        last[:-1] = key[order][1:] != key[order][:-1]
        keep = order[last]
        x = sp.csr_matrix((weights[keep], (self.user_index[keep], self.item_index[keep])),
                          shape=(self.num_users, self.num_items), dtype=np.float32)
        x.sort_indices()
        return x

    def item_counts(self) -> np.ndarray:
        return np.bincount(self.item_index, minlength=self.num_items).astype(np.float32)

    def user_counts(self) -> np.ndarray:
        return np.bincount(self.user_index, minlength=self.num_users).astype(np.int64)

    def item_first_time(self) -> np.ndarray:
        """[items] float64 first interaction time (NO_TIME without interactions or timestamps)."""
        out = np.full(self.num_items, NO_TIME)
        if self.timestamp is not None and self.size:
            first = np.full(self.num_items, np.inf)
            np.minimum.at(first, self.item_index, self.timestamp)
            out = np.where(np.isfinite(first), first, NO_TIME)
        return out

    def subset(self, mask: np.ndarray) -> "Interactions":
        pick = (lambda a: None if a is None else a[mask])
        return Interactions(self.user_index[mask], self.item_index[mask], self.num_users,
                            self.num_items, pick(self.timestamp), pick(self.rating),
                            pick(self.from_feedback))

    def concat(self, other: "Interactions") -> "Interactions":
        """Both sets over the same vocabularies (timestamps / ratings kept when both have them)."""
        if (other.num_users, other.num_items) != (self.num_users, self.num_items):
            raise ValueError("concat needs the same vocabularies")
        both = (lambda a, b: None if a is None or b is None else np.concatenate([a, b]))
        return Interactions(np.concatenate([self.user_index, other.user_index]),
                            np.concatenate([self.item_index, other.item_index]), self.num_users,
                            self.num_items, both(self.timestamp, other.timestamp),
                            both(self.rating, other.rating),
                            both(self.from_feedback, other.from_feedback))

    def split_per_user(self, share: float, seed: int) -> Tuple["Interactions", "Interactions"]:
        """Holds out about share x n_u random interactions of each user (at least one kept),
        n_u counting only the user's interactions not `from_feedback` (never held out).

        The count is share x n_u rounded up or down at random (in expectation exactly
        share x n_u), so users with few interactions are held out too: with a plain floor
        only users with at least 1/share interactions would ever validate, and on sparse data
        that slice is a handful of heavy users.

        Returns:
            (rest, held_out).
        """
        if not 0.0 <= share < 1.0:
            raise ValueError(f"share={share} must be in [0, 1)")
        rng = np.random.default_rng(seed)
        eligible = (np.ones(self.size, bool) if self.from_feedback is None
                    else ~self.from_feedback)
        # Eligible rows first within each user, in random order.
        order = np.lexsort((rng.random(self.size), ~eligible, self.user_index))
        counts = self.user_counts()
        n_eligible = np.bincount(self.user_index[eligible], minlength=self.num_users)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        users = self.user_index[order]
        position = np.arange(self.size) - starts[users]
        held = np.zeros(self.size, bool)
        quota = np.floor(share * n_eligible + rng.random(self.num_users))
        quota = np.minimum(quota, np.maximum(counts - 1, 0))
        held[order] = position < quota[users]
        return self.subset(~held), self.subset(held)

    def histories(self, max_length: int = 0, rating_power: float = 0.0
                  ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each user's items in time order (the last `max_length`, 0 = all), as ragged rows.

        Returns:
            (item values [m] int32, weights [m] float32 (`weights(rating_power)`),
            row_splits [users + 1] int64).
        """
        ts = self.timestamp if self.timestamp is not None else np.zeros(self.size)
        order = np.lexsort((ts, self.user_index))
        counts = self.user_counts()
        if max_length:
            ends = np.cumsum(counts)
            keep_from = ends - np.minimum(counts, max_length)
            users = self.user_index[order]
            rank = np.arange(self.size)
            order = order[rank >= keep_from[users]]
            counts = np.minimum(counts, max_length)
        splits = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        weights = self.weights(rating_power)[order]
        return self.item_index[order].astype(np.int32), weights, splits
