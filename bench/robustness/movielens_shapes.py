"""Robustness shapes built from real interactions: MovieLens-100K with real data's traits.

The synthetic shapes (`shapes.py`) plant topic preferences; these keep MovieLens-100K's own
co-occurrence structure and popularity and change what the data sets the model is judged on
differ in (`../shared/notes/real-data-traits.md`): no ratings or timestamps (implicit
feedback), only the positive ratings kept, a music-listening-like version (at most 45 items
per user, a long tail of items with one interaction, names-only text), and a strength column
that carries no taste in place of the ratings (heavy-tailed, like raw play counts). The raw data is
read from the shared folder (its licence forbids copying it), so these shapes run only where
it is present: `python -m bench.robustness.run --movielens DIR --shapes ml100k_implicit,...`.
"""

import dataclasses
from typing import Callable, Dict

import numpy as np

from bench.quality import movielens
from bench.robustness import shapes as shape_lib

DEFAULT_DIR = "../shared/datasets/movielens-100k"
POSITIVE_RATING = 4  # 4 and 5 stars: the usual conversion of ratings to implicit positives


def load(data_dir: str = DEFAULT_DIR) -> shape_lib.Shape:
    """MovieLens-100K as a Shape: ratings, timestamps, "title. genres" texts."""
    data = movielens.load(data_dir)
    rows = data.interactions
    texts = [f"{t}. {' '.join(g)}" for t, g in zip(data.titles, data.genres)]
    return shape_lib.Shape(rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 3].astype(np.float64),
                           rows[:, 2].astype(float), data.num_users, data.num_items, texts)


def implicit(shape: shape_lib.Shape) -> shape_lib.Shape:
    """No ratings and no timestamps: every pair weighs the same."""
    return dataclasses.replace(shape, rating=None, timestamp=None)


def positive_only(shape: shape_lib.Shape, threshold: float = POSITIVE_RATING) -> shape_lib.Shape:
    """Only the pairs rated `threshold` or more, as implicit feedback."""
    keep = shape.rating >= threshold
    return implicit(dataclasses.replace(shape, user=shape.user[keep], item=shape.item[keep],
                                        timestamp=shape.timestamp[keep],
                                        rating=shape.rating[keep]))


def tasteless_strengths(shape: shape_lib.Shape, seed: int = 6) -> shape_lib.Shape:
    """The pairs with a heavy-tailed strength column that says nothing of taste (lognormal,
    sigma 2: a play-count-like column of a few huge values) in place of the ratings."""
    strengths = np.random.default_rng(seed).lognormal(0.0, 2.0, shape.user.size)
    return dataclasses.replace(shape, rating=strengths)


def music_like(shape: shape_lib.Shape) -> shape_lib.Shape:
    """The music-listening set's traits on real pairs: at most 45 items per user, 58% of the
    items with a single interaction, names only, no ratings or timestamps."""
    shape = shape_lib.at_most_per_user(shape, 45)
    shape = shape_lib.single_interaction_tail(shape, share=0.58)
    return shape_lib.names_only(implicit(shape))


def shapes(data_dir: str = DEFAULT_DIR) -> Dict[str, Callable[[], shape_lib.Shape]]:
    """Name -> builder of each MovieLens-derived shape (the data read when built)."""
    return {
        "ml100k": lambda: load(data_dir),
        "ml100k_implicit": lambda: implicit(load(data_dir)),
        "ml100k_positive_only": lambda: positive_only(load(data_dir)),
        "ml100k_music_like": lambda: music_like(load(data_dir)),
        "ml100k_tasteless_strengths": lambda: tasteless_strengths(load(data_dir)),
    }
