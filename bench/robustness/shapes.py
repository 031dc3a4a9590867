"""Synthetic data sets with the traits real data has and plain `recsys data synth` lacks.

Each shape starts from the synthetic generator (planted topic preferences, Zipf popularity)
and then changes one trait (`../shared/notes/real-data-traits.md`): catalogue much larger
or much smaller than the user base, no ratings, no timestamps, a long time span, a few very
heavy users, a long tail of single-interaction items, items without interactions, and
names-only item text. `REAL_LIKE_SHAPES` put every trait of one public data set the
model once failed on into one shape, at that data set's size.
"""

import dataclasses
import os
import tempfile
from typing import Callable, Dict, List

import numpy as np
import pandas as pd

from rec_model.data import synth


@dataclasses.dataclass
class Shape:
    """Interactions as index arrays plus item texts.

    Attributes:
        user / item: [n] int64 indices; timestamp [n] float64 or None; rating [n] or None.
        num_users / num_items: vocabulary sizes (items may have no interactions).
        texts: [items] item text.
    """

    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    rating: np.ndarray
    num_users: int
    num_items: int
    texts: List[str]


def generate(users: int, items: int, interactions: int, seed: int = 0) -> Shape:
    with tempfile.TemporaryDirectory() as folder:
        synth.generate_synthetic(folder, users, items, interactions, n_topics=10, seed=seed)
        frame = pd.read_csv(os.path.join(folder, "interactions.csv"), dtype={"user_id": str,
                                                                              "item_id": str})
        catalogue = pd.read_csv(os.path.join(folder, "items.csv"), dtype=str,
                                keep_default_na=False)
    texts = (catalogue["title"] + ". " + catalogue["genres"] + ". " + catalogue["description"])
    return Shape(frame["user_id"].str[1:].astype(np.int64).values,
                 frame["item_id"].str[1:].astype(np.int64).values,
                 frame["timestamp"].values.astype(np.float64),
                 frame["rating"].values.astype(float),
                 users, items, list(texts))


def _replace(shape: Shape, **changes) -> Shape:
    return dataclasses.replace(shape, **changes)


def heavy_users(shape: Shape, count: int = 10, per_user: int = 1000, seed: int = 1) -> Shape:
    """`count` users get `per_user` more interactions, drawn like everyone's (by popularity)."""
    rng = np.random.default_rng(seed)
    popularity = np.bincount(shape.item, minlength=shape.num_items) + 1.0
    extra_users = np.repeat(rng.choice(shape.num_users, count, replace=False), per_user)
    extra_items = rng.choice(shape.num_items, extra_users.size, p=popularity / popularity.sum())
    times = rng.uniform(shape.timestamp.min(), shape.timestamp.max(), extra_users.size)
    ratings = rng.integers(1, 6, extra_users.size).astype(float)
    return _replace(shape, user=np.concatenate([shape.user, extra_users]),
                    item=np.concatenate([shape.item, extra_items]),
                    timestamp=np.concatenate([shape.timestamp, times]),
                    rating=np.concatenate([shape.rating, ratings]))


def single_interaction_tail(shape: Shape, share: float = 0.45, seed: int = 2) -> Shape:
    """New items, each with exactly one interaction, until they are `share` of the items."""
    rng = np.random.default_rng(seed)
    extra = int(share / (1.0 - share) * shape.num_items)
    users = rng.choice(shape.num_users, extra)
    items = shape.num_items + np.arange(extra)
    texts = shape.texts + [shape.texts[int(rng.integers(shape.num_items))] + f" {n}"
                           for n in range(extra)]
    return _replace(shape, user=np.concatenate([shape.user, users]),
                    item=np.concatenate([shape.item, items]),
                    timestamp=np.concatenate([shape.timestamp, rng.uniform(
                        shape.timestamp.min(), shape.timestamp.max(), extra)]),
                    rating=np.concatenate([shape.rating, np.full(extra, 3.0)]),
                    num_items=shape.num_items + extra, texts=texts)


def long_time_span(shape: Shape, years: float = 22.5) -> Shape:
    t = shape.timestamp
    stretched = (t - t.min()) / max(t.max() - t.min(), 1.0) * years * 365.25 * 86400
    return _replace(shape, timestamp=9.0e8 + stretched)


def names_only(shape: Shape) -> Shape:
    return _replace(shape, texts=[t.split(". ")[0] for t in shape.texts])


def at_most_per_user(shape: Shape, cap: int, seed: int = 4) -> Shape:
    """Keeps a random `cap` of each user's interactions (a listening data set's top artists)."""
    order = np.random.default_rng(seed).permutation(shape.user.size)
    order = order[np.argsort(shape.user[order], kind="stable")]
    starts = np.searchsorted(shape.user[order], shape.user[order], side="left")
    keep = np.sort(order[np.arange(order.size) - starts < cap])
    pick = (lambda a: None if a is None else a[keep])
    return _replace(shape, user=shape.user[keep], item=shape.item[keep],
                    timestamp=pick(shape.timestamp), rating=pick(shape.rating))


def half_star_ratings(shape: Shape, seed: int = 5) -> Shape:
    """Ratings 0.5 to 5 in half stars."""
    rng = np.random.default_rng(seed)
    halves = 0.5 * rng.integers(0, 2, shape.rating.size)
    return _replace(shape, rating=np.clip(shape.rating - halves, 0.5, 5.0))


def unique_pairs(shape: Shape) -> Shape:
    """Each (user, item) pair once, its first occurrence kept."""
    _, first = np.unique(shape.user * shape.num_items + shape.item, return_index=True)
    keep = np.sort(first)
    pick = (lambda a: None if a is None else a[keep])
    return _replace(shape, user=shape.user[keep], item=shape.item[keep],
                    timestamp=pick(shape.timestamp), rating=pick(shape.rating))


def movielens_small_like() -> Shape:
    """The traits together, at the size of the public MovieLens set the model once diverged
    on: 610 users, about 9,700 items, 100,000 ratings in half stars over 22.5 years, 12 users
    with more than 1,000 interactions, about a third of the items with one interaction."""
    shape = single_interaction_tail(generate(610, 5800, 88000), share=0.40)
    shape = unique_pairs(heavy_users(shape, count=12, per_user=1300))
    return half_star_ratings(long_time_span(shape))


def music_listening_like() -> Shape:
    """The traits of the public music-listening set the trainer once crashed on: 1,900 users
    with about 50 artists each, about 17,600 artists of which most have one listener, names
    only, no ratings, no timestamps."""
    shape = at_most_per_user(unique_pairs(generate(1892, 7000, 250000)), 45)
    shape = single_interaction_tail(shape, share=0.58)
    return names_only(_replace(shape, rating=None, timestamp=None))


SHAPES: Dict[str, Callable[[], Shape]] = {
    "users_much_fewer_than_items": lambda: generate(400, 6000, 20000),
    "items_much_fewer_than_users": lambda: generate(8000, 150, 60000),
    "no_ratings": lambda: _replace(generate(2000, 1500, 40000), rating=None),
    "no_timestamps": lambda: _replace(generate(2000, 1500, 40000), timestamp=None),
    "long_time_span": lambda: long_time_span(generate(2000, 1500, 40000)),
    "heavy_users": lambda: heavy_users(generate(2000, 1500, 40000)),
    "single_interaction_items": lambda: single_interaction_tail(generate(2000, 1500, 40000)),
    "users_with_one_interaction": lambda: generate(12000, 1500, 18000),
    "items_without_interactions": lambda: generate(2000, 6000, 30000),
    "names_only_text": lambda: names_only(_replace(generate(2000, 1500, 40000), rating=None)),
}
# All the traits of one real data set at once (`../shared/notes/real-data-traits.md`).
REAL_LIKE_SHAPES: Dict[str, Callable[[], Shape]] = {
    "movielens_small_like": movielens_small_like,
    "music_listening_like": music_listening_like,
}
# Above the 50,000 users + items from which the trainer's sparse (lazy) optimizer takes over
# (`auto_settings.LAZY_UPDATE_ROWS`); minutes each, so run by the bench only (`--shapes`).
LARGE_SHAPES: Dict[str, Callable[[], Shape]] = {
    "many_users_few_items": lambda: _replace(generate(60000, 400, 300000), rating=None),
    "long_tail_catalogue": lambda: _replace(generate(3000, 60000, 60000), rating=None),
}
