"""On-disk format of item text embeddings (the `ItemEmbeddings` artifact's payload).

A folder holding three files, pure numpy/JSON (no pickle):

- `embeddings.npy`: float32 [items, dim], row i belongs to line i of `item_ids.txt`.
- `item_ids.txt`: one item id per line (UTF-8), no duplicates.
- `metadata.json`: a JSON object (backbone, sequence_length, dim, item_count, bad-input counts...).

Writers: the text_embedder component and `recsys embed`; readers: the content-based agent,
the recommender model and serving.
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

import numpy as np

EMBEDDINGS_FILE = "embeddings.npy"
ITEM_IDS_FILE = "item_ids.txt"
METADATA_FILE = "metadata.json"


def save_item_embeddings(
    directory: str | os.PathLike,
    item_ids: Sequence[str],
    embeddings: np.ndarray,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Writes item embeddings to `directory` (created if missing).

    Args:
        directory: Output folder; existing files of the same names are overwritten.
        item_ids: [items] unique string ids without newlines.
        embeddings: [items, dim] floats; stored as float32.
        metadata: JSON-serialisable dict; `item_count` and `dim` are filled in (and checked
            when given).

    Raises:
        ValueError: on shape/id mismatches, duplicate or malformed ids, non-finite values,
            or metadata that is not JSON-serialisable.
    """
    ids = [str(i) for i in item_ids]
    matrix = np.asarray(embeddings)
    if matrix.ndim != 2:
        raise ValueError(f"embeddings must be 2-D [items, dim], got shape {matrix.shape}.")
    if matrix.shape[0] != len(ids):
        raise ValueError(
            f"embeddings has {matrix.shape[0]} rows but {len(ids)} item ids were given; "
            "pass one id per row, in the same order."
        )
    for i, item_id in enumerate(ids):
        if not item_id or "\n" in item_id or "\r" in item_id or item_id != item_id.strip():
            raise ValueError(
                f"item id #{i} {item_id!r} is empty, has surrounding whitespace or a line "
                "break; clean the ids before saving."
            )
    if len(set(ids)) != len(ids):
        seen, dups = set(), []
        for item_id in ids:
            if item_id in seen:
                dups.append(item_id)
            seen.add(item_id)
        raise ValueError(f"duplicate item ids {dups[:5]}; each item must appear once.")
    matrix = matrix.astype(np.float32, copy=False)
    if not np.all(np.isfinite(matrix)):
        raise ValueError("embeddings contain NaN or Inf; check the model that produced them.")
    meta = dict(metadata or {})
    for key, value in (("item_count", len(ids)), ("dim", int(matrix.shape[1]))):
        if key in meta and int(meta[key]) != value:
            raise ValueError(f"metadata[{key!r}]={meta[key]} does not match the data ({value}).")
        meta[key] = value
    try:
        meta_text = json.dumps(meta, indent=2, sort_keys=True)
    except TypeError as err:
        raise ValueError(f"metadata must be JSON-serialisable: {err}") from err

    os.makedirs(directory, exist_ok=True)
    np.save(os.path.join(directory, EMBEDDINGS_FILE), matrix, allow_pickle=False)
    with open(os.path.join(directory, ITEM_IDS_FILE), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(f"{item_id}\n" for item_id in ids))
    with open(os.path.join(directory, METADATA_FILE), "w", encoding="utf-8") as f:
        f.write(meta_text + "\n")


def load_item_embeddings(
    directory: str | os.PathLike,
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Reads and validates a folder written by `save_item_embeddings`.

    Args:
        directory: The folder (e.g. an `ItemEmbeddings` artifact's uri).

    Returns:
        (item_ids [items], embeddings float32 [items, dim], metadata dict).

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: the files are malformed or disagree with each other.
    """
    paths = {name: os.path.join(directory, name)
             for name in (EMBEDDINGS_FILE, ITEM_IDS_FILE, METADATA_FILE)}
    missing = [name for name, path in paths.items() if not os.path.isfile(path)]
    if missing:
        raise FileNotFoundError(
            f"{directory} is not an item-embeddings folder: missing {missing}. Write it with "
            "`recsys embed` or the ItemTextEmbedder component."
        )
    try:
        matrix = np.load(paths[EMBEDDINGS_FILE], allow_pickle=False)
    except ValueError as err:
        raise ValueError(
            f"{paths[EMBEDDINGS_FILE]}: not a plain numeric .npy array ({err}).") from err
    if matrix.dtype != np.float32:
        raise ValueError(f"{paths[EMBEDDINGS_FILE]}: dtype {matrix.dtype}, expected float32.")
    if matrix.ndim != 2:
        raise ValueError(f"{paths[EMBEDDINGS_FILE]}: shape {matrix.shape}, expected [items, dim].")
    with open(paths[ITEM_IDS_FILE], encoding="utf-8") as f:
        ids = f.read().split("\n")
    if ids and ids[-1] == "":
        ids.pop()
    for line, item_id in enumerate(ids, start=1):
        if not item_id.strip():
            raise ValueError(f"{paths[ITEM_IDS_FILE]}, line {line}: empty item id.")
    if len(ids) != matrix.shape[0]:
        raise ValueError(
            f"{paths[ITEM_IDS_FILE]} has {len(ids)} ids but {paths[EMBEDDINGS_FILE]} has "
            f"{matrix.shape[0]} rows; the folder is inconsistent, re-run the embedder."
        )
    if len(set(ids)) != len(ids):
        raise ValueError(f"{paths[ITEM_IDS_FILE]}: duplicate item ids; re-run the embedder.")
    try:
        with open(paths[METADATA_FILE], encoding="utf-8") as f:
            meta = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f"{paths[METADATA_FILE]}: invalid JSON ({err}).") from err
    if not isinstance(meta, dict):
        raise ValueError(f"{paths[METADATA_FILE]}: expected a JSON object, "
                         f"got {type(meta).__name__}.")
    for key, value in (("item_count", len(ids)), ("dim", int(matrix.shape[1]))):
        if key in meta and meta[key] != value:
            raise ValueError(
                f"{paths[METADATA_FILE]}: {key}={meta[key]} but the data has {value}; "
                "re-run the embedder."
            )
    return ids, matrix, meta
