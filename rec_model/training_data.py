"""Interactions as index arrays, and the dense per-user views the model trains on."""

import dataclasses
from typing import Optional, Tuple

import numpy as np

from rec_model import closed_form

NO_TIME = -1e9  # "no first-interaction time": never later than a user's history


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """Implicit interactions over integer vocabularies.

    Attributes:
        user_index: [n] int, 0..num_users-1.
        item_index: [n] int, 0..num_items-1.
        num_users / num_items: vocabulary sizes.
        timestamp: optional [n] unix seconds.
        rating: optional [n] explicit ratings (> 0), used as interaction weights by the
            closed-form agents (`weight_matrix`).
    """

    user_index: np.ndarray
    item_index: np.ndarray
    num_users: int
    num_items: int
    timestamp: Optional[np.ndarray] = None
    rating: Optional[np.ndarray] = None

    def __post_init__(self):
        u, i = np.asarray(self.user_index), np.asarray(self.item_index)
        if u.shape != i.shape or u.ndim != 1:
            raise ValueError(f"user_index {u.shape} and item_index {i.shape} must be equal-length 1-D arrays")
        if u.size and (u.min() < 0 or u.max() >= self.num_users):
            raise ValueError(f"user_index outside [0, {self.num_users}); map ids through the user vocabulary first")
        if i.size and (i.min() < 0 or i.max() >= self.num_items):
            raise ValueError(f"item_index outside [0, {self.num_items}); map ids through the item vocabulary first")
        if self.timestamp is not None and np.asarray(self.timestamp).shape != u.shape:
            raise ValueError("timestamp must have one entry per interaction")
        if self.rating is not None and np.asarray(self.rating).shape != u.shape:
            raise ValueError("rating must have one entry per interaction")

    @classmethod
    def from_rows(cls, rows: np.ndarray, num_users: int, num_items: int) -> "TrainingData":
        """rows [n, >=2] (user, item[, rating, timestamp])."""
        rows = np.asarray(rows)
        ts = rows[:, 3].astype(np.float64) if rows.shape[1] > 3 else None
        rating = rows[:, 2].astype(np.float64) if rows.shape[1] > 2 else None
        return cls(rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), num_users, num_items, ts, rating)

    def history_matrix(self) -> np.ndarray:
        """[users, items] float32 0/1."""
        x = np.zeros((self.num_users, self.num_items), np.float32)
        x[self.user_index, self.item_index] = 1.0
        return x

    def weight_matrix(self, rating_power: float = 0.0) -> np.ndarray:
        """[users, items] float32: (rating / mean rating) ** rating_power, 1 without ratings."""
        return closed_form.interaction_weights(self.user_index, self.item_index, self.num_users, self.num_items,
                                               self.rating, rating_power)

    def item_counts(self) -> np.ndarray:
        return np.bincount(self.item_index, minlength=self.num_items).astype(np.float32)

    def item_mean_time(self) -> np.ndarray:
        """[items] z-scored mean interaction time (0 for items without interactions or timestamps)."""
        if self.timestamp is None or self.timestamp.size == 0:
            return np.zeros(self.num_items, np.float32)
        t = (self.timestamp - self.timestamp.mean()) / max(self.timestamp.std(), 1e-9)
        sums = np.bincount(self.item_index, weights=t, minlength=self.num_items)
        return (sums / np.maximum(self.item_counts(), 1)).astype(np.float32)

    def item_first_day(self) -> np.ndarray:
        """[items] float32 day (unix seconds / 86400) of each item's first interaction;
        NO_TIME for items without interactions or data without timestamps."""
        out = np.full(self.num_items, NO_TIME, np.float64)
        if self.timestamp is not None and self.timestamp.size:
            first = np.full(self.num_items, np.inf)
            np.minimum.at(first, self.item_index, np.asarray(self.timestamp, np.float64) / 86400.0)
            out = np.where(np.isfinite(first), first, NO_TIME)
        return out.astype(np.float32)

    def subset(self, mask: np.ndarray) -> "TrainingData":
        ts = None if self.timestamp is None else self.timestamp[mask]
        rating = None if self.rating is None else self.rating[mask]
        return TrainingData(self.user_index[mask], self.item_index[mask], self.num_users, self.num_items, ts, rating)

    def split_per_user(self, share: float, seed: int) -> Tuple["TrainingData", "TrainingData"]:
        """Holds out `share` of each user's interactions (at least one kept in the rest).

        Returns:
            (rest, held_out).
        """
        rng = np.random.default_rng(seed)
        held = np.zeros(self.user_index.size, dtype=bool)
        order = np.argsort(self.user_index, kind="stable")
        bounds = np.flatnonzero(np.diff(self.user_index[order])) + 1
        for group in np.split(order, bounds):
            n = int(np.floor(share * group.size))
            if 0 < n < group.size:
                held[rng.choice(group, size=n, replace=False)] = True
        return self.subset(~held), self.subset(held)
