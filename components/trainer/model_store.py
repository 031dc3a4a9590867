"""The trainable side of a Model artifact, for warm starts: `<model uri>/warm_start/`.

The serving SavedModel (`Format-Serving/`) has no Keras objects to continue training from,
so the trainer also writes the MultiAgentModel's weights (a TF checkpoint, no pickle), its
ModelConfig and its vocabularies:

    warm_start/model_config.json   ModelConfig.to_json + sizes
    warm_start/user_ids.txt        one id per line, position = user index
    warm_start/item_ids.txt        one id per line, position = item index
    warm_start/weights.*           tf.train.Checkpoint(model=...)
"""

import json
import os
from typing import List, Tuple

import tensorflow as tf

from rec_model.config import ModelConfig
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.warm_start import IncompatibleBaseModel, build_weights

WARM_START_DIR = "warm_start"
_CONFIG = "model_config.json"
_USERS = "user_ids.txt"
_ITEMS = "item_ids.txt"
_WEIGHTS = "weights"


def _write_lines(path: str, lines) -> None:
    with tf.io.gfile.GFile(path, "w") as f:
        f.write("".join(f"{line}\n" for line in lines))


def _read_lines(path: str) -> List[str]:
    with tf.io.gfile.GFile(path, "r") as f:
        return [line for line in f.read().split("\n") if line]


def save_model_state(model: MultiAgentModel, user_ids, item_ids, model_dir: str) -> str:
    """Writes `<model_dir>/warm_start/`; returns that folder."""
    out = os.path.join(model_dir, WARM_START_DIR)
    tf.io.gfile.makedirs(out)
    meta = {"config": model.config.to_dict(), "num_users": model.num_users,
            "num_items": model.num_items, "text_dim": model.text_dim}
    with tf.io.gfile.GFile(os.path.join(out, _CONFIG), "w") as f:
        f.write(json.dumps(meta, sort_keys=True))
    _write_lines(os.path.join(out, _USERS), user_ids)
    _write_lines(os.path.join(out, _ITEMS), item_ids)
    tf.train.Checkpoint(model=model).write(os.path.join(out, _WEIGHTS))
    return out


def load_model_state(model_dir: str, every_weight: bool = True
                     ) -> Tuple[MultiAgentModel, List[str], List[str]]:
    """Rebuilds a trained MultiAgentModel from `<model_dir>/warm_start/`.

    Args:
        model_dir: the trainer's Model folder.
        every_weight: whether each weight of this code's model must be in the folder (False:
            a weight the folder predates keeps its initial value).

    Returns:
        (model, user_ids, item_ids).

    Raises:
        FileNotFoundError: the folder is not a model written by this trainer.
    """
    folder = os.path.join(model_dir, WARM_START_DIR)
    if not tf.io.gfile.exists(os.path.join(folder, _CONFIG)):
        raise FileNotFoundError(f"{folder}/{_CONFIG} not found; warm start needs a model "
                                "written by the recsys trainer (its Model artifact or "
                                "`recsys train --out` folder), or disable warm_start")
    with tf.io.gfile.GFile(os.path.join(folder, _CONFIG)) as f:
        meta = json.loads(f.read())
    users, items = (_read_lines(os.path.join(folder, _USERS)),
                    _read_lines(os.path.join(folder, _ITEMS)))
    if (len(users), len(items)) != (meta["num_users"], meta["num_items"]):
        raise ValueError(f"{folder}: vocabulary files disagree with {_CONFIG}; the folder is "
                         "damaged, retrain")
    try:
        config = ModelConfig.from_dict(meta["config"])
    except (TypeError, ValueError) as err:  # written by an earlier model version
        raise IncompatibleBaseModel(f"{folder}: its model configuration does not load ({err})")
    model = MultiAgentModel(config, meta["num_users"], meta["num_items"], meta["text_dim"])
    build_weights(model)
    try:
        status = tf.train.Checkpoint(model=model).read(os.path.join(folder, _WEIGHTS))
        status.expect_partial()
        if every_weight:
            status.assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.NotFoundError) as err:
        raise IncompatibleBaseModel(f"{folder}: its weights do not match this model ({err})")
    return model, users, items
