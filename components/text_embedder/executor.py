"""text_embedder executor: items.csv -> `ItemEmbeddings` with a Beam job (thin wrapper)."""

import hashlib
import os
from typing import Any, Dict, List

from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact, artifact_utils

from components import common
from components.text_embedder import backbones, beam_embed, embed_items
from components.text_embedder import item_texts as it
from components.text_embedder.config import EmbedderConfig
from rec_model.item_embeddings import load_item_embeddings

ITEMS_PATH_KEY = "items_path"
CONFIG_KEY = "config_json"
FINGERPRINT_KEY = "input_fingerprint"
BACKBONE_PRESET_KEY = "backbone_preset"
EMBEDDINGS_KEY = "embeddings"


def items_fingerprint(items_path: str) -> str:
    """sha256 of the items file (TFX's cache key: same path, new content -> re-run)."""
    digest = hashlib.sha256()
    with open(items_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_preset(input_dict: Dict[str, List[artifact.Artifact]], config: EmbedderConfig) -> str:
    """The backbone to load: the `backbone_preset` input when given, else `config.backbone`."""
    presets = input_dict.get(BACKBONE_PRESET_KEY) or []
    if presets:
        return backbones.validate_backbone(artifact_utils.get_single_uri(presets),
                                           allow_download=False)
    return backbones.validate_backbone(config.backbone)


class Executor(base_beam_executor.BaseBeamExecutor):
    """Reads items.csv, embeds every item on Beam, writes embeddings + counts."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        config = EmbedderConfig.from_json(exec_properties.get(CONFIG_KEY, ""))
        items_path = exec_properties[ITEMS_PATH_KEY]
        output = artifact_utils.get_single_instance(output_dict[EMBEDDINGS_KEY])
        preset = resolve_preset(input_dict, config)

        texts = it.load_item_texts(items_path)
        if not texts.item_ids:
            raise ValueError(f"{items_path}: no valid item rows ({texts.counts[it.QUARANTINED]} "
                             "quarantined); fix the file and re-run.")
        metadata = embed_items.build_metadata(config, preset, texts, [], 0, items_path)
        del texts  # The Beam job reads the file on a worker; only counts are needed here.
        os.makedirs(output.uri, exist_ok=True)
        clock = common.Stopwatch()
        with self._make_beam_pipeline() as pipeline:
            _ = pipeline | "EmbedItems" >> beam_embed.EmbedItemsFile(items_path, preset, config,
                                                                     output.uri, metadata)

        _, vectors, written = load_item_embeddings(output.uri)
        # KFP v2 takes no typed properties on custom types: everything is a custom property.
        output.set_int_custom_property("item_count", int(vectors.shape[0]))
        output.set_int_custom_property("dim", int(vectors.shape[1]))
        output.set_string_custom_property("backbone", preset)
        output.set_int_custom_property("sequence_length", config.sequence_length)
        for name, value in written["counts"].items():
            output.set_int_custom_property(name, int(value))
        embed_items.log_counts(written)
        common.log_throughput("text_embedder", int(vectors.shape[0]), "items", clock.seconds,
                              f"dim {vectors.shape[1]}")
