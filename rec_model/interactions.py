"""Interactions over integer vocabularies, and their sparse and ragged views.

Everything here is sized by the interactions (plus users + items): the sparse matrix is
scipy CSR, histories are (values, row_splits) int arrays. Nothing builds a dense
[users, items] array.
"""

import dataclasses
from typing import Optional, Tuple

import numpy as np
import scipy.sparse as sp


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
        row_key: optional [n] uint64 stable identity of each row (a hash of its ids and
            time), the same in every version of the data; `split_per_user` draws from it.
    """

    user_index: np.ndarray
    item_index: np.ndarray
    num_users: int
    num_items: int
    timestamp: Optional[np.ndarray] = None
    rating: Optional[np.ndarray] = None
    from_feedback: Optional[np.ndarray] = None
    row_key: Optional[np.ndarray] = None

    def __post_init__(self):
        u = np.asarray(self.user_index, np.int64)
        i = np.asarray(self.item_index, np.int64)
        object.__setattr__(self, "user_index", u)
        object.__setattr__(self, "item_index", i)
        if u.shape != i.shape or u.ndim != 1:
            raise ValueError(f"user_index {u.shape} and item_index {i.shape} "
                             "must be equal-length 1-D")
        if u.size and (u.min() < 0 or u.max() >= self.num_users):
            raise ValueError(f"user_index outside [0, {self.num_users}); "
                             "map ids through the vocabulary")
        if i.size and (i.min() < 0 or i.max() >= self.num_items):
            raise ValueError(f"item_index outside [0, {self.num_items}); "
                             "map ids through the vocabulary")
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
        if self.row_key is not None:
            keys = np.asarray(self.row_key, np.uint64)
            if keys.shape != u.shape:
                raise ValueError("row_key must have one entry per interaction")
            object.__setattr__(self, "row_key", keys)
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

    def subset(self, mask: np.ndarray) -> "Interactions":
        pick = (lambda a: None if a is None else a[mask])
        return Interactions(self.user_index[mask], self.item_index[mask], self.num_users,
                            self.num_items, pick(self.timestamp), pick(self.rating),
                            pick(self.from_feedback), pick(self.row_key))

    def concat(self, other: "Interactions") -> "Interactions":
        """Both sets over the same vocabularies (timestamps / ratings kept when both have them)."""
        if (other.num_users, other.num_items) != (self.num_users, self.num_items):
            raise ValueError("concat needs the same vocabularies")
        both = (lambda a, b: None if a is None or b is None else np.concatenate([a, b]))
        return Interactions(np.concatenate([self.user_index, other.user_index]),
                            np.concatenate([self.item_index, other.item_index]), self.num_users,
                            self.num_items, both(self.timestamp, other.timestamp),
                            both(self.rating, other.rating),
                            both(self.from_feedback, other.from_feedback),
                            both(self.row_key, other.row_key))

    def split_per_user(self, share: float, seed: int) -> Tuple["Interactions", "Interactions"]:
        """Holds out each interaction with probability `share` (never one `from_feedback`),
        keeping at least one interaction of every user.

        A row's draw comes from its `row_key` when given (a stable hash of the row), so it
        does not move when the data grows: a model warm-started from one trained on an
        earlier version of the data never trained on this slice. Every user can be held
        out, light ones included (a per-user floor(share x n) would validate only users
        with at least 1/share interactions: a handful of heavy users on sparse data).

        Returns:
            (rest, held_out).
        """
        if not 0.0 <= share < 1.0:
            raise ValueError(f"share={share} must be in [0, 1)")
        if self.row_key is None:
            draw = np.random.default_rng(seed).random(self.size)
        else:
            draw = _uniform(self.row_key, seed)
        held = draw < share
        if self.from_feedback is not None:
            held &= ~self.from_feedback
        # Users left with nothing keep their row with the largest draw.
        kept = np.bincount(self.user_index[~held], minlength=self.num_users)
        empty = np.flatnonzero(held & (kept[self.user_index] == 0))
        if empty.size:
            order = empty[np.lexsort((-draw[empty], self.user_index[empty]))]
            first = np.ones(order.size, bool)
            first[1:] = self.user_index[order][1:] != self.user_index[order][:-1]
            held[order[first]] = False
        return self.subset(~held), self.subset(held)

    def split_latest_per_user(self, share: float, seed: int
                              ) -> Tuple["Interactions", "Interactions"]:
        """Holds out each user's latest min(n - 1, ceil(share x n)) of n interactions by time
        (ties in a seeded order; rows `from_feedback` stay in), the way a split in time
        carves the eval split, so a setting chosen on it is judged on later interactions.

        Returns:
            (earlier, latest); every interaction in `earlier` without timestamps.
        """
        if not 0.0 <= share < 1.0:
            raise ValueError(f"share={share} must be in [0, 1)")
        if self.timestamp is None or self.size == 0:
            return self, self.subset(np.zeros(self.size, bool))
        draw = np.random.default_rng(seed).random(self.size)
        order = np.lexsort((draw, self.timestamp, self.user_index))
        counts = self.user_counts()
        held_count = np.minimum(counts - 1, np.ceil(share * counts).astype(np.int64))
        held = np.zeros(self.size, bool)
        held[order] = self._age(order) < held_count[self.user_index[order]]
        if self.from_feedback is not None:
            held &= ~self.from_feedback
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
            order = order[self._age(order) < max_length]
            counts = np.minimum(counts, max_length)
        splits = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        weights = self.weights(rating_power)[order]
        return self.item_index[order].astype(np.int32), weights, splits

    def _age(self, order: np.ndarray) -> np.ndarray:
        """[n] for rows in `order` (every row, sorted by user, then oldest first): how many
        of the user's rows come after each (0 for the user's latest)."""
        ends = np.cumsum(self.user_counts())
        return ends[self.user_index[order]] - 1 - np.arange(self.size)


def _uniform(keys: np.ndarray, seed: int) -> np.ndarray:
    """[n] float64 in [0, 1): a seeded splitmix64 of each uint64 key."""
    with np.errstate(over="ignore"):
        z = keys + np.uint64((seed * 0x9E3779B97F4A7C15) % 2 ** 64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(2 ** 53)
