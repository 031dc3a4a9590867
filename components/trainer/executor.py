"""trainer executor: artifacts -> TrainingInputs -> `train.train_and_export` (local) or
`cluster_train.train_on_cluster` (TFJob / Vertex AI replicas)."""

import logging
import os
from typing import Any, Dict, List

import tensorflow as tf
from tfx.dsl.components.base import base_executor
from tfx.types import artifact, artifact_utils

from components.trainer import cluster_train, model_store
from components.trainer.config import TrainerConfig
from components.trainer.train import train_and_export
from components.trainer.training_inputs import build_inputs, read_examples_split
from rec_model import features as F
from rec_model.config import ModelConfig

EXAMPLES_KEY = "examples"
TRANSFORM_GRAPH_KEY = "transform_graph"
ITEM_EMBEDDINGS_KEY = "item_embeddings"
BASE_MODEL_KEY = "base_model"
MODEL_KEY = "model"
MODEL_RUN_KEY = "model_run"
MODEL_CONFIG_KEY = "model_config_json"
TRAINER_CONFIG_KEY = "trainer_config_json"


def user_vocabulary(transform_graph_uri: str) -> List[str]:
    """The TransformGraph's user vocabulary (position = its `user_index`)."""
    import tensorflow_transform as tft

    vocab = tft.TFTransformOutput(transform_graph_uri).vocabulary_by_name(F.USER_VOCAB)
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in vocab]


def warm_start_dir(base_models: List[artifact.Artifact], enabled: bool):
    """The base model's folder when warm start applies, else None (logged)."""
    if not enabled or not base_models:
        return None
    uri = base_models[0].uri
    if not tf.io.gfile.exists(os.path.join(uri, model_store.WARM_START_DIR)):
        logging.warning("trainer: base model %s has no %s/ folder (not written by this "
                        "trainer); training from scratch",
                        uri, model_store.WARM_START_DIR)
        return None
    return uri


class Executor(base_executor.BaseExecutor):
    """Trains the multi-agent model and exports the serving SavedModel + model card."""

    def Do(self, input_dict: Dict[str, List[artifact.Artifact]],
           output_dict: Dict[str, List[artifact.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        model_config = ModelConfig.from_json(exec_properties.get(MODEL_CONFIG_KEY) or "{}")
        trainer_config = TrainerConfig.from_json(exec_properties.get(TRAINER_CONFIG_KEY) or "")
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        embeddings = artifact_utils.get_single_instance(input_dict[ITEM_EMBEDDINGS_KEY])
        graphs = input_dict.get(TRANSFORM_GRAPH_KEY) or []
        graph_uri = graphs[0].uri if graphs else None
        splits = artifact_utils.decode_split_names(examples.split_names)
        if F.TRAIN_SPLIT not in splits:
            raise ValueError(f"{examples.uri}: Examples has splits {splits}, no "
                             f"{F.TRAIN_SPLIT!r}; produce it with example_gen")
        train = read_examples_split(examples.uri, F.TRAIN_SPLIT)
        held = (read_examples_split(examples.uri, F.EVAL_SPLIT) if F.EVAL_SPLIT in splits
                else ((), (), (), ()))
        span = examples.span if examples.has_property("span") else None
        inputs = build_inputs(train, held, embeddings.uri,
                              user_vocab=user_vocabulary(graph_uri) if graph_uri else None,
                              span=span)
        model = artifact_utils.get_single_instance(output_dict[MODEL_KEY])
        model_run = artifact_utils.get_single_instance(output_dict[MODEL_RUN_KEY])
        base = warm_start_dir(input_dict.get(BASE_MODEL_KEY) or [], trainer_config.warm_start)
        local = trainer_config.launcher == "local"
        train = train_and_export if local else cluster_train.train_on_cluster
        card = train(inputs, model.uri, model_run.uri, model_config, trainer_config,
                     transform_graph_uri=graph_uri, base_model_dir=base)
        for name in ("users", "items", "cold_items", "train_rows"):
            model.set_int_custom_property(name, int(inputs.counts[name]))
        model.set_int_custom_property("workers", trainer_config.workers)
        model.set_string_custom_property("launcher", trainer_config.launcher)
        cluster_job = card.get("training", {}).get("cluster_job") or {}
        if cluster_job:
            model.set_string_custom_property("cluster_job", str(cluster_job.get("name", "")))
        warm = card.get("warm_start") or {}
        model.set_string_custom_property("warm_started_from",
                                         "" if warm.get("skipped") else (base or ""))
        if warm.get("skipped"):
            model.set_string_custom_property("warm_start_skipped", warm["skipped"][:500])
        for name, value in card["metrics"]["eval"].items():
            model.set_float_custom_property(name.replace("@", "_at_"), float(value))
