"""infra_validator executor: serve the candidate, probe it with real requests, write
InfraBlessing."""

import logging
import os
from typing import Any, Dict, List

import tensorflow as tf
from tfx.dsl.components.base import base_executor
from tfx.types import artifact, artifact_utils

from components.evaluator import model_io
from components.evaluator.eval_data import EvalSet
from components.infra_validator import validation
from components.infra_validator.config import InfraValidatorConfig

MODEL_KEY = "model"
EXAMPLES_KEY = "examples"
BLESSING_KEY = "blessing"
CONFIG_KEY = "config_json"
# As TFX's InfraValidator.
BLESSED_FILE, NOT_BLESSED_FILE = "INFRA_BLESSED", "INFRA_NOT_BLESSED"
BLESSED_PROPERTY = "blessed"
MESSAGE_PROPERTY = "validation_message"
SERVER_LOG_FILE = "server.log"


class Executor(base_executor.BaseExecutor):
    """Blesses the model only when a real server loads it and answers every request well-formed."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        config = InfraValidatorConfig.from_json(exec_properties.get(CONFIG_KEY, ""))
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        examples = input_dict.get(EXAMPLES_KEY) or []
        blessing = artifact_utils.get_single_instance(output_dict[BLESSING_KEY])
        tf.io.gfile.makedirs(blessing.uri)

        # Only the requests' users are needed: reading a sample keeps this cheap at scale.
        n_users = config.num_requests * config.batch_size
        data = EvalSet.from_examples(examples[0].uri, n_users) if examples else None
        requests = validation.build_requests(data, config.num_requests, config.batch_size,
                                             config.history_length)
        try:
            model_dir = model_io.serving_model_dir(model.uri)
        except FileNotFoundError as err:
            result = validation.InfraResult(False, str(err))
        else:
            log_path = (os.path.join(blessing.uri, SERVER_LOG_FILE) if "://" not in blessing.uri
                        else None)
            result = validation.validate_model(model_dir, requests, config, log_path=log_path)

        with tf.io.gfile.GFile(
                os.path.join(blessing.uri, BLESSED_FILE if result.blessed else NOT_BLESSED_FILE),
                "w") as f:
            f.write(result.reason + "\n")
        blessing.set_int_custom_property(BLESSED_PROPERTY, 1 if result.blessed else 0)
        blessing.set_string_custom_property(MESSAGE_PROPERTY, result.reason)
        blessing.set_string_custom_property("server_kind", result.server_kind or "")
        blessing.set_int_custom_property("requests_ok", result.requests_ok)
        if result.blessed:
            logging.info("infra_validator: blessed: %s", result.reason)
        else:
            logging.warning("infra_validator: NOT blessed: %s\n%s", result.reason, result.log_tail)
