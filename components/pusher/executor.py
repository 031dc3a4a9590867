"""pusher executor: push only when every given blessing holds; record the push on PushedModel."""

import json
import logging
import os
from typing import Any, Dict, List, Optional

import tensorflow as tf
from tfx.dsl.components.base import base_executor
from tfx.types import artifact, artifact_utils

from components.evaluator import model_io
from components.pusher import push
from components.pusher.config import PusherConfig

MODEL_KEY = "model"
MODEL_BLESSING_KEY = "model_blessing"
INFRA_BLESSING_KEY = "infra_blessing"
PUSHED_MODEL_KEY = "pushed_model"
CONFIG_KEY = "config_json"
# As TFX's Pusher.
PUSHED_PROPERTY, DESTINATION_PROPERTY, VERSION_PROPERTY = (
    "pushed", "pushed_destination", "pushed_version")
MESSAGE_PROPERTY, MODEL_ID_PROPERTY = "push_message", "pushed_model_id"
PUSHED_FILE, NOT_PUSHED_FILE, PUSH_RECORD = "PUSHED", "NOT_PUSHED", "push.json"
# Marker files of the blessings, used when an artifact carries no `blessed` custom property.
_BLESSED_FILES = {MODEL_BLESSING_KEY: "BLESSED", INFRA_BLESSING_KEY: "INFRA_BLESSED"}


def blessing_problem(key: str, artifacts: List[artifact.Artifact]) -> Optional[str]:
    """None when the optional blessing is absent or positive, else why it blocks the push."""
    if not artifacts:
        return None
    blessing = artifacts[0]
    if blessing.has_custom_property("blessed"):
        blessed = blessing.get_int_custom_property("blessed") == 1
    else:
        blessed = tf.io.gfile.exists(os.path.join(blessing.uri, _BLESSED_FILES[key]))
    if blessed:
        return None
    why = next((blessing.get_string_custom_property(p)
                for p in ("blessing_message", "validation_message")
                if blessing.has_custom_property(p)), "")
    return f"{key} is not blessed ({blessing.uri}){': ' + why if why else ''}"


class Executor(base_executor.BaseExecutor):
    """Copies the model into the serving folder when the model and infra blessings hold."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        config = PusherConfig.from_json(exec_properties[CONFIG_KEY])
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        pushed = artifact_utils.get_single_instance(output_dict[PUSHED_MODEL_KEY])
        tf.io.gfile.makedirs(pushed.uri)
        problems = [p for p in (blessing_problem(k, input_dict.get(k) or [])
                                for k in (MODEL_BLESSING_KEY, INFRA_BLESSING_KEY)) if p]
        if problems:
            message = "not pushed: " + "; ".join(problems)
            pushed.set_int_custom_property(PUSHED_PROPERTY, 0)
            pushed.set_string_custom_property(MESSAGE_PROPERTY, message)
            with tf.io.gfile.GFile(os.path.join(pushed.uri, NOT_PUSHED_FILE), "w") as f:
                f.write(message + "\n")
            logging.info("pusher: %s", message)
            return

        version, destination, deleted = push.push_saved_model(
            model_io.serving_model_dir(model.uri), config.serving_dir, config.model_name,
            config.keep_last_n)
        message = f"pushed version {version} to {destination}" + (
            f"; deleted versions {deleted}" if deleted else "")
        pushed.set_int_custom_property(PUSHED_PROPERTY, 1)
        pushed.set_string_custom_property(DESTINATION_PROPERTY, destination)
        pushed.set_string_custom_property(VERSION_PROPERTY, str(version))
        pushed.set_int_custom_property(MODEL_ID_PROPERTY, model.id)
        pushed.set_string_custom_property(MESSAGE_PROPERTY, message)
        record = {"destination": destination, "version": version, "model_uri": model.uri,
                  "deleted_versions": deleted}
        with tf.io.gfile.GFile(os.path.join(pushed.uri, PUSH_RECORD), "w") as f:
            f.write(json.dumps(record, indent=2))
        with tf.io.gfile.GFile(os.path.join(pushed.uri, PUSHED_FILE), "w") as f:
            f.write(destination + "\n")
        logging.info("pusher: %s", message)
