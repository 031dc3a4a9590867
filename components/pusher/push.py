"""Versioned, atomic pushes into TF Serving's model base path.

A version becomes visible in one `rename`: the SavedModel is copied into a hidden sibling
`<base>/.tmp-<version>` (TF Serving and this package's server ignore names that are not
numbers) and renamed to `<base>/<version>`, so a server never loads a half-copied model.
Works on local paths and on any `tf.io.gfile` file system (renames on object stores are
copy + delete, so atomicity holds only on real file systems).
"""

import logging
import os
import time
from typing import Callable, List, Tuple

import tensorflow as tf

TMP_PREFIX = ".tmp-"


def existing_versions(base: str) -> List[int]:
    """Numeric version folders under `base`, ascending ([] when `base` does not exist)."""
    if not tf.io.gfile.isdir(base):
        return []
    names = [n.rstrip("/") for n in tf.io.gfile.listdir(base)]
    return sorted(int(n) for n in names
                  if n.isdigit() and tf.io.gfile.isdir(os.path.join(base, n)))


def next_version(existing: List[int], now: float) -> int:
    """`int(now)` (unix seconds, TFX's versioning), bumped above every existing version."""
    return max([int(now)] + [v + 1 for v in existing])


def _copy_tree(src: str, dst: str) -> None:
    """Recursive copy with tf.io.gfile; saved_model.pb last, as TFX's Pusher does."""
    last = []
    for folder, _, files in tf.io.gfile.walk(src):
        rel = os.path.relpath(folder, src)
        target = dst if rel == "." else os.path.join(dst, rel)
        tf.io.gfile.makedirs(target)
        for name in files:
            pair = (os.path.join(folder, name), os.path.join(target, name))
            if name in ("saved_model.pb", "saved_model.pbtxt") and rel == ".":
                last.append(pair)
            else:
                tf.io.gfile.copy(*pair, overwrite=True)
    for pair in last:
        tf.io.gfile.copy(*pair, overwrite=True)


def prune(base: str, keep_last_n: int) -> List[int]:
    """Deletes all but the newest `keep_last_n` versions (0 keeps all); returns the deleted
    ones."""
    versions = existing_versions(base)
    doomed = versions[:-keep_last_n] if keep_last_n and len(versions) > keep_last_n else []
    for version in doomed:
        tf.io.gfile.rmtree(os.path.join(base, str(version)))
        logging.info("pusher: deleted old version %s/%d", base, version)
    return doomed


def push_saved_model(saved_model_dir: str, serving_dir: str, model_name: str, keep_last_n: int = 3,
                     clock: Callable[[], float] = time.time) -> Tuple[int, str, List[int]]:
    """Copies a SavedModel to `<serving_dir>/<model_name>/<version>/` atomically.

    Args:
        saved_model_dir: the SavedModel folder to push.
        serving_dir: the model server's root.
        model_name: folder (and served name) of the model.
        keep_last_n: versions kept afterwards (0 = all).
        clock: unix time source (tests fix it).

    Returns:
        (version, destination folder, deleted versions).

    Raises:
        FileNotFoundError: `saved_model_dir` holds no SavedModel.
    """
    if not any(tf.io.gfile.exists(os.path.join(saved_model_dir, n))
               for n in ("saved_model.pb", "saved_model.pbtxt")):
        raise FileNotFoundError(f"{saved_model_dir} holds no saved_model.pb; push the trainer's "
                                "SavedModel folder")
    base = os.path.join(serving_dir, model_name)
    tf.io.gfile.makedirs(base)
    version = next_version(existing_versions(base), clock())
    final = os.path.join(base, str(version))
    tmp = os.path.join(base, f"{TMP_PREFIX}{version}")
    if tf.io.gfile.exists(tmp):
        tf.io.gfile.rmtree(tmp)  # Left by a push that crashed mid-copy.
    try:
        _copy_tree(saved_model_dir, tmp)
        tf.io.gfile.rename(tmp, final, overwrite=False)
    except Exception:
        if tf.io.gfile.exists(tmp):
            tf.io.gfile.rmtree(tmp)
        raise
    logging.info("pusher: pushed %s to %s", saved_model_dir, final)
    return version, final, prune(base, keep_last_n)
