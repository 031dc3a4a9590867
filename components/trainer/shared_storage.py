"""Storage that every replica of a cluster job reads: checks and copies.

The replicas of a TFJob or Vertex AI job run on other machines, so the job file, its inputs,
the backups and the Model / ModelRun folders must live on a file system they all mount
through `tf.io.gfile` (gs://, s3://, hdfs://, ...): never on the launching pod's local disk.
"""

import os
import re
from typing import Mapping, Optional

import tensorflow as tf

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
# Schemes that name storage of this process only.
_LOCAL_SCHEMES = ("file", "ram")


def scheme(path: str) -> Optional[str]:
    """"gs" for "gs://b/x"; None for a plain path."""
    match = _SCHEME.match(path or "")
    return match.group(1).lower() if match else None


def is_shared(path: str) -> bool:
    """Whether `path` is on storage other machines can read (a remote file-system URI)."""
    found = scheme(path)
    return found is not None and found not in _LOCAL_SCHEMES


def require_shared(paths: Mapping[str, Optional[str]], launcher: str) -> None:
    """Raises unless every given path is on shared storage.

    Args:
        paths: {what the path is: path}; None / "" entries are skipped.
        launcher: the launcher that needs it, for the message.

    Raises:
        ValueError: naming each local path and how to fix it.
    """
    local = {what: path for what, path in paths.items() if path and not is_shared(path)}
    if local:
        listed = "; ".join(f"{what} {path!r}" for what, path in local.items())
        raise ValueError(
            f"launcher {launcher!r} runs replicas on other machines, but these are local paths: "
            f"{listed}. Put the pipeline root (and data, base models) on storage every replica "
            "reads, e.g. --pipeline-root gs://BUCKET/root, or use launcher 'local'.")


def copy_tree(source: str, target: str) -> int:
    """Copies a folder recursively with tf.io.gfile (any scheme either side); returns the number
    of files copied."""
    copied = 0
    for folder, _, files in tf.io.gfile.walk(source):
        relative = os.path.relpath(folder, source) if folder != source else ""
        out = os.path.join(target, relative) if relative else target
        tf.io.gfile.makedirs(out)
        for name in files:
            tf.io.gfile.copy(os.path.join(folder, name), os.path.join(out, name), overwrite=True)
            copied += 1
    return copied


def remove_tree(path: str) -> None:
    """Deletes a folder (any scheme); a missing folder is fine."""
    if tf.io.gfile.exists(path):
        tf.io.gfile.rmtree(path)
