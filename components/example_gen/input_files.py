"""Locating and fingerprinting the canonical input folder."""

import hashlib
import os
from typing import List

from rec_model import features

INTERACTION_GLOBS = ("interactions.csv", "interactions-*.csv")


def find_interaction_files(input_base: str) -> List[str]:
    """The interactions files of a canonical folder: `interactions.csv` and/or shards
    `interactions-*.csv` (any Beam-readable file system).

    Raises:
        FileNotFoundError: no interactions file in `input_base`.
    """
    import tensorflow as tf

    files = []
    for pattern in INTERACTION_GLOBS:
        files.extend(tf.io.gfile.glob(os.path.join(input_base, pattern)))
    if not files:
        raise FileNotFoundError(
            f"{input_base}: no {features.INTERACTIONS_FILE} found. Point --data at a canonical "
            "folder (interactions.csv + items.csv), e.g. one made by `recsys data prepare`."
        )
    return sorted(set(files))


def input_fingerprint(input_base: str) -> str:
    """A cheap fingerprint (names, sizes, modification times) of the input files.

    Passed as an execution parameter so that TFX's cache misses when the data changes
    under the same path, and hits when nothing changed.
    """
    import tensorflow as tf

    digest = hashlib.sha256()
    names = list(INTERACTION_GLOBS) + [features.ITEMS_FILE]
    for pattern in names:
        for path in sorted(tf.io.gfile.glob(os.path.join(input_base, pattern))):
            stat = tf.io.gfile.stat(path)
            digest.update(f"{os.path.basename(path)}:{stat.length}:{stat.mtime_nsec}\n".encode())
    return digest.hexdigest()


def total_bytes(files: List[str]) -> int:
    """Summed size of `files` (any Beam-readable file system)."""
    import tensorflow as tf

    return sum(tf.io.gfile.stat(path).length for path in files)
