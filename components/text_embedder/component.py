"""text_embedder: items.csv (+ optional adapted backbone) -> `ItemEmbeddings`."""

import os
from typing import Optional

from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import channel, component_spec

from components import artifacts
from components.text_embedder import backbones, executor
from components.text_embedder.config import EmbedderConfig


class ItemTextEmbedderSpec(component_spec.ComponentSpec):
    """Parameters, inputs and outputs of `ItemTextEmbedder`."""

    PARAMETERS = {
        executor.ITEMS_PATH_KEY: component_spec.ExecutionParameter(type=str),
        executor.CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        executor.FINGERPRINT_KEY: component_spec.ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        executor.BACKBONE_PRESET_KEY: component_spec.ChannelParameter(
            type=artifacts.BertPreset, optional=True),
    }
    OUTPUTS = {
        executor.EMBEDDINGS_KEY: component_spec.ChannelParameter(type=artifacts.ItemEmbeddings),
    }


class ItemTextEmbedder(base_beam_component.BaseBeamComponent):
    """Embeds every item's text with a BERT backbone on Beam (one model per worker).

    Output `embeddings`: `embeddings.npy` [items, dim] float32 unit rows, `item_ids.txt`,
    `metadata.json` (see `rec_model.item_embeddings`); custom properties `item_count`, `dim`,
    `backbone`, `sequence_length` and the bad-input counts `empty_text`,
    `truncated`, `replaced_undecodable`, `quarantined`.

    Beam pipeline args (runner, workers) come from the pipeline's `beam_pipeline_args`.
    """

    SPEC_CLASS = ItemTextEmbedderSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(
        self,
        items_path: str,
        config: EmbedderConfig = EmbedderConfig(),
        backbone_preset: Optional[channel.BaseChannel] = None,
        input_fingerprint: Optional[str] = None,
    ):
        """Args:
            items_path: canonical items.csv (local path or a URI readable by the workers).
            config: backbone, sequence length, batch size.
            backbone_preset: optional `BertPreset` channel (e.g. `DomainPretrainer.outputs
                ["preset"]`); when given it replaces `config.backbone`.
            input_fingerprint: cache key of the items file; sha256 of it when None and the
                file is readable at build time.

        Raises:
            FileNotFoundError / ValueError: at build time, when `config.backbone` is a missing
                or incomplete folder, or a preset that would need a download while offline.
        """
        if backbone_preset is None:
            backbones.validate_backbone(config.backbone, config.allow_download)
        if input_fingerprint is None:
            input_fingerprint = (executor.items_fingerprint(items_path)
                                 if os.path.isfile(items_path) else "")
        spec = ItemTextEmbedderSpec(
            items_path=items_path,
            config_json=config.to_json(),
            input_fingerprint=input_fingerprint,
            backbone_preset=backbone_preset,
            embeddings=channel.Channel(type=artifacts.ItemEmbeddings),
        )
        super().__init__(spec=spec)
