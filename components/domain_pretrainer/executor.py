"""domain_pretrainer executor: items.csv -> adapted `BertPreset` (thin wrapper)."""

import logging
from typing import Any, Dict, List

from tfx.dsl.components.base import base_executor
from tfx.types import artifact, artifact_utils

from components.domain_pretrainer import pretrainer
from components.domain_pretrainer.config import PretrainerConfig
from components.text_embedder import item_texts as it

ITEMS_PATH_KEY = "items_path"
CONFIG_KEY = "config_json"
FINGERPRINT_KEY = "input_fingerprint"
PRESET_KEY = "preset"


class Executor(base_executor.BaseExecutor):
    """Reads item texts (bad rows counted as in the embedder), pre-trains, saves the preset."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        del input_dict  # No input channels.
        config = PretrainerConfig.from_json(exec_properties.get(CONFIG_KEY, ""))
        items_path = exec_properties[ITEMS_PATH_KEY]
        preset = artifact_utils.get_single_instance(output_dict[PRESET_KEY])

        texts = it.load_item_texts(items_path)
        metrics = pretrainer.pretrain(texts.texts, preset.uri, config)

        for name in ("loss_before", "loss_after", "accuracy_before", "accuracy_after",
                     "seconds_per_epoch"):
            preset.set_float_custom_property(name, metrics[name])
        for name in ("epochs", "train_texts", "validation_texts"):
            preset.set_int_custom_property(name, int(metrics[name]))
        preset.set_string_custom_property("source_backbone", metrics["source_backbone"])
        for name in (it.EMPTY_TEXT, it.REPLACED_UNDECODABLE, it.QUARANTINED):
            preset.set_int_custom_property(name, texts.counts[name])
        if not metrics["loss_after"] < metrics["loss_before"]:
            logging.warning("domain_pretrainer: held-out MLM loss did not fall (%.3f -> %.3f); "
                            "try more epochs or a different learning rate.",
                            metrics["loss_before"], metrics["loss_after"])
