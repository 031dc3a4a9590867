"""domain_pretrainer: items.csv -> a BERT backbone adapted by masked-LM training (`BertPreset`)."""

import os
from typing import Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel, component_spec

from components import artifacts
from components.domain_pretrainer import executor
from components.domain_pretrainer.config import PretrainerConfig
from components.text_embedder import backbones
from components.text_embedder.executor import items_fingerprint


class DomainPretrainerSpec(component_spec.ComponentSpec):
    """Parameters and outputs of `DomainPretrainer`."""

    PARAMETERS = {
        executor.ITEMS_PATH_KEY: component_spec.ExecutionParameter(type=str),
        executor.CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        executor.FINGERPRINT_KEY: component_spec.ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {}
    OUTPUTS = {
        executor.PRESET_KEY: component_spec.ChannelParameter(type=artifacts.BertPreset),
    }


class DomainPretrainer(base_component.BaseComponent):
    """Continues masked-LM pre-training of a BERT backbone on the catalogue's item texts.

    Output `preset`: a keras-hub preset folder (backbone + tokenizer) for
    `ItemTextEmbedder(backbone_preset=...)`, with `pretrain_metrics.json`; custom properties
    `loss_before`, `loss_after` (held-out MLM loss), `accuracy_before/after`,
    `seconds_per_epoch`, `epochs`, `train_texts`, `validation_texts`, `source_backbone` and
    the bad-input counts of the items file.
    """

    SPEC_CLASS = DomainPretrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, items_path: str, config: PretrainerConfig = PretrainerConfig(),
                 input_fingerprint: Optional[str] = None):
        """Args:
            items_path: canonical items.csv.
            config: starting backbone, epochs, sequence length, learning rate...
            input_fingerprint: cache key of the items file; its sha256 when None and readable.

        Raises:
            FileNotFoundError / ValueError: at build time, for a missing backbone folder or a
                preset that would need a download while offline.
        """
        backbones.validate_backbone(config.backbone, config.allow_download)
        if input_fingerprint is None:
            input_fingerprint = items_fingerprint(items_path) if os.path.isfile(items_path) else ""
        spec = DomainPretrainerSpec(
            items_path=items_path,
            config_json=config.to_json(),
            input_fingerprint=input_fingerprint,
            preset=channel.Channel(type=artifacts.BertPreset),
        )
        super().__init__(spec=spec)
