"""MovieLens-100K loading and the protocol's splits (`../shared/BENCHMARK.md`).

Item index = MovieLens id - 1, user index = MovieLens id - 1. The raw data is read
from the shared folder and never copied into the repository.
"""

import dataclasses
import pathlib
from typing import Dict, List

import numpy as np

NUM_COLD_ITEMS = 168


@dataclasses.dataclass(frozen=True)
class Split:
    """One train/test split as index arrays.

    Attributes:
        train: [n, 4] int64 rows (user, item, rating, timestamp).
        test: [m, 4] int64 rows, test pairs also in train removed.
    """

    train: np.ndarray
    test: np.ndarray

    def by_user(self, which: str) -> Dict[int, List[int]]:
        """user -> item indices of the `train` or `test` part."""
        rows = getattr(self, which)
        out: Dict[int, List[int]] = {}
        for user, item in rows[:, :2]:
            out.setdefault(int(user), []).append(int(item))
        return out


@dataclasses.dataclass(frozen=True)
class MovieLens:
    """The raw interactions plus item text.

    Attributes:
        interactions: [100000, 4] int64 (user, item, rating, timestamp), file order.
        titles: [items] str.
        genres: [items] list of genre names.
        num_users / num_items: sizes of the index spaces.
    """

    interactions: np.ndarray
    titles: List[str]
    genres: List[List[str]]
    num_users: int
    num_items: int

    @property
    def item_texts(self) -> List[str]:
        """"title genres" per item, the text the item embeddings are computed from."""
        return [f"{t} {' '.join(g)}".strip() for t, g in zip(self.titles, self.genres)]


def load(data_dir) -> MovieLens:
    """Reads u.data, u.item (latin-1) and u.genre from `data_dir`.

    Raises:
        FileNotFoundError: naming the missing file and what to pass instead.
    """
    data_dir = pathlib.Path(data_dir)
    for name in ("u.data", "u.item", "u.genre"):
        if not (data_dir / name).exists():
            raise FileNotFoundError(f"{data_dir / name} missing: pass --data pointing at the raw "
                                    "MovieLens-100K folder")
    raw = np.loadtxt(data_dir / "u.data", dtype=np.int64)
    raw[:, 0] -= 1
    raw[:, 1] -= 1
    genre_names = [line.split("|")[0]
                   for line in (data_dir / "u.genre").read_text("latin-1").splitlines() if line]
    titles, genres = [], []
    for line in (data_dir / "u.item").read_text("latin-1").splitlines():
        if not line:
            continue
        fields = line.split("|")
        titles.append(fields[1])
        flags = fields[5:5 + len(genre_names)]
        genres.append([g for g, f in zip(genre_names, flags) if f == "1" and g != "unknown"])
    return MovieLens(raw, titles, genres, int(raw[:, 0].max() + 1), len(titles))


def _drop_seen(train: np.ndarray, test: np.ndarray, num_items: int) -> np.ndarray:
    seen = set((train[:, 0] * num_items + train[:, 1]).tolist())
    keep = np.array([u * num_items + i not in seen for u, i in test[:, :2]], dtype=bool)
    return test[keep]


def random_split(interactions: np.ndarray, num_items: int, seed: int = 42,
                 train_share: float = 0.8) -> Split:
    """The protocol's split: default_rng(seed).permutation, first 80% train."""
    order = np.random.default_rng(seed).permutation(len(interactions))
    cut = int(round(train_share * len(interactions)))
    train, test = interactions[order[:cut]], interactions[order[cut:]]
    return Split(train, _drop_seen(train, test, num_items))


def validation_split(train: np.ndarray, num_items: int, seed: int = 7,
                     train_share: float = 0.8) -> Split:
    """Carves a validation split out of a train part (never touches the test pairs)."""
    return random_split(train, num_items, seed=seed, train_share=train_share)


def cold_items(num_items: int, seed: int = 42, size: int = NUM_COLD_ITEMS) -> np.ndarray:
    """The protocol's held-out items: default_rng(42).choice(arange(1682), 168, replace=False)."""
    return np.random.default_rng(seed).choice(np.arange(num_items), size=size, replace=False)


def cold_split(interactions: np.ndarray, held_out: np.ndarray) -> Split:
    """Train = interactions of the other items; test = every interaction of the held-out ones."""
    is_cold = np.isin(interactions[:, 1], held_out)
    return Split(interactions[~is_cold], interactions[is_cold])
