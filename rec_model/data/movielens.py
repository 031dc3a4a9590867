"""Raw MovieLens-100K -> canonical folder (and `prepare_csv` for a user's own folder).

Raw files used: `u.data` (tab-separated `user item rating timestamp`), `u.item`
(latin-1, `|`-separated: id, title, release date, video release date, IMDb URL,
then 19 genre flags) and `u.genre` (`name|index`). The output keeps the MovieLens
numeric ids as strings; `items.csv` has `item_id,title,genres` with genre names
joined by `|`, e.g. `Animation|Children's|Comedy`.
"""

import csv
import os

from rec_model import features as F
from rec_model.data.prepare import (  # noqa: F401  (prepare_csv re-exported)
    prepare_csv, write_items_csv)

RAW_FILES = ("u.data", "u.item", "u.genre")
_ITEM_FIXED_FIELDS = 5  # id, title, release date, video release date, IMDb URL.


def _raw_path(input_dir: str, name: str) -> str:
    path = os.path.join(input_dir, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} not found: --input must be the raw MovieLens-100K folder "
            f"(with {', '.join(RAW_FILES)}); "
            "fetch it with `recsys data download movielens-100k --out DIR`")
    return path


def read_genres(path: str) -> list[str]:
    """Genre names by index from `u.genre`."""
    names: dict[int, str] = {}
    with open(path, encoding="latin-1") as fh:
        for line_no, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            name, sep, index = line.rpartition("|")
            if not sep or not (index.isascii() and index.isdigit()):
                raise ValueError(f"{path}:{line_no}: expected 'name|index', found {line!r}")
            names[int(index)] = name
    if sorted(names) != list(range(len(names))):
        raise ValueError(f"{path}: genre indices are not 0..{len(names) - 1}: {sorted(names)}")
    return [names[i] for i in range(len(names))]


def _item_rows(path: str, genres: list[str]):
    n_fields = _ITEM_FIXED_FIELDS + len(genres)
    with open(path, encoding="latin-1") as fh:
        for line_no, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("|")
            if len(fields) != n_fields:
                raise ValueError(f"{path}:{line_no}: expected {n_fields} '|'-separated fields, "
                                 f"found {len(fields)}; is this MovieLens-100K's u.item?")
            flags = fields[_ITEM_FIXED_FIELDS:]
            names = [g for g, flag in zip(genres, flags) if flag.strip() == "1"]
            yield {F.ITEM_ID: fields[0].strip(), F.TITLE: fields[1].strip(),
                   F.GENRES: "|".join(names)}


def prepare_movielens_100k(input_dir: str, out_dir: str) -> dict:
    """Converts raw MovieLens-100K to the canonical folder.

    Args:
        input_dir: The raw `ml-100k` folder.
        out_dir: Output folder (created) for `interactions.csv` and `items.csv`.

    Returns:
        `{"interactions": 100000, "items": 1682, "users": 943}` on the real data.

    Raises:
        FileNotFoundError: A raw file is missing.
        ValueError: A raw line does not parse (names file and line).
    """
    data_path, item_path, genre_path = (_raw_path(input_dir, name) for name in RAW_FILES)
    os.makedirs(out_dir, exist_ok=True)
    genres = read_genres(genre_path)
    n_items = write_items_csv(os.path.join(out_dir, F.ITEMS_FILE), [F.ITEM_ID, F.TITLE, F.GENRES],
                              _item_rows(item_path, genres))
    users = set()
    n_interactions = 0
    with open(data_path, encoding="latin-1") as src, open(
            os.path.join(out_dir, F.INTERACTIONS_FILE), "w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst, lineterminator="\n")
        writer.writerow(F.INTERACTION_COLUMNS)
        for line_no, line in enumerate(src, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 4 or not all(f.isdigit() for f in fields):
                raise ValueError(f"{data_path}:{line_no}: expected 4 tab-separated integers "
                                 f"(user item rating timestamp), found {line.strip()!r}")
            user, item, rating, timestamp = fields
            writer.writerow([user, item, timestamp, rating])
            users.add(user)
            n_interactions += 1
    return {"interactions": n_interactions, "items": n_items, "users": len(users)}
