"""Locating the SavedModel to score with, and the users it knows."""

import os
import re
from typing import List, Optional

from components.model_layout import SERVING_SUBDIR
from rec_model import features as F

USER_IDS_ASSET = "user_ids.txt"  # Optional: one known user id per line.
USER_IDS_LOCATIONS = ("assets.extra", "assets")


def _gfile():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    return tf.io.gfile


def _is_saved_model(path: str) -> bool:
    gfile = _gfile()
    return any(gfile.exists(os.path.join(path, n))
               for n in ("saved_model.pb", "saved_model.pbtxt"))


def resolve_saved_model(path: str) -> str:
    """The SavedModel folder behind `path`.

    Accepts a SavedModel folder, a TFX `Model` artifact (`<uri>/Format-Serving/`), or a TF
    Serving model base path (`<base>/<version>/`, the highest numeric version wins).

    Raises:
        FileNotFoundError: none of these (the message lists what was looked for).
    """
    gfile = _gfile()
    if _is_saved_model(path):
        return path
    if _is_saved_model(os.path.join(path, SERVING_SUBDIR)):
        return os.path.join(path, SERVING_SUBDIR)
    versions = []
    if gfile.isdir(path):
        for name in gfile.listdir(path):
            name = name.rstrip("/")
            if re.fullmatch(r"\d+", name) and _is_saved_model(os.path.join(path, name)):
                versions.append(int(name))
    if versions:
        return os.path.join(path, str(max(versions)))
    raise FileNotFoundError(
        f"no SavedModel at {path}: expected saved_model.pb there, in {path}/{SERVING_SUBDIR}/ "
        f"(a TFX Model artifact), or in numeric version folders {path}/<version>/ "
        "(a TF Serving base path)")


def signature_names(saved_model_dir: str) -> List[str]:
    """Names of the SavedModel's `serve` signatures."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from tensorflow.python.tools import saved_model_utils  # pylint: disable=no-name-in-module

    return sorted(saved_model_utils.get_meta_graph_def(saved_model_dir, "serve").signature_def)


def check_signature(saved_model_dir: str) -> None:
    """Raises ValueError unless the SavedModel has `recommend` with the contract's inputs."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from tensorflow.python.tools import saved_model_utils  # pylint: disable=no-name-in-module

    meta = saved_model_utils.get_meta_graph_def(saved_model_dir, "serve")
    signatures = meta.signature_def
    if F.SIGNATURE_RECOMMEND not in signatures:
        raise ValueError(f"{saved_model_dir}: signatures {sorted(signatures)} have no "
                         f"{F.SIGNATURE_RECOMMEND!r}; export the model as serving/README.md "
                         "describes")
    inputs = set(signatures[F.SIGNATURE_RECOMMEND].inputs)
    missing = {F.USER_ID, F.K, F.HISTORY, F.EXCLUDE} - inputs
    if missing:
        raise ValueError(f"{saved_model_dir}: the {F.SIGNATURE_RECOMMEND!r} signature lacks "
                         f"inputs {sorted(missing)}")


def user_ids_file(saved_model_dir: str) -> Optional[str]:
    """`<SavedModel>/assets.extra/user_ids.txt` (or `assets/`), the model's user vocabulary with
    one id per line; None when the model ships no such file."""
    gfile = _gfile()
    for folder in USER_IDS_LOCATIONS:
        path = os.path.join(saved_model_dir, folder, USER_IDS_ASSET)
        if gfile.exists(path):
            return path
    return None


def model_user_ids(saved_model_dir: str) -> Optional[List[str]]:
    """The ids in `user_ids_file` (blank lines skipped), or None without one."""
    path = user_ids_file(saved_model_dir)
    if path is None:
        return None
    with _gfile().GFile(path, "r") as f:
        return [line.strip() for line in f if line.strip()]
