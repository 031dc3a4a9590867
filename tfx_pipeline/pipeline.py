"""`create_pipeline`: the pure pipeline definition shared by every runner.

example_gen -> transform -> (domain_pretrainer) -> text_embedder -> trainer -> evaluator
-> infra_validator -> pusher, with the last blessed model resolved from ML Metadata as the
evaluator's baseline and the trainer's warm start.
"""

import os
from typing import List, Optional

from tfx.dsl.components.base import base_node
from tfx.orchestration import pipeline as tfx_pipeline

from components.domain_pretrainer.component import DomainPretrainer
from components.domain_pretrainer.config import PretrainerConfig
from components.evaluator.baseline import baseline_model_resolver
from components.evaluator.component import RecsysEvaluator
from components.evaluator.config import EvaluatorConfig
from components.example_gen.component import CanonicalExampleGen
from components.example_gen.config import ExampleGenConfig
from components.infra_validator.component import RecsysInfraValidator
from components.infra_validator.config import InfraValidatorConfig
from components.pusher.component import RecsysPusher
from components.pusher.config import PusherConfig
from components.text_embedder.component import ItemTextEmbedder
from components.text_embedder.config import EmbedderConfig
from components.trainer.component import RecsysTrainer
from components.trainer.config import TrainerConfig
from components.transform.component import RecsysTransform
from rec_model import features
from rec_model.config import ModelConfig
from tfx_pipeline.config import PipelineConfig, runs_stage, should_pretrain

DEFAULT_PIPELINE_NAME = "recsys"


def _item_count(items_path: str) -> Optional[int]:
    """Catalogue size for the "auto" pre-training decision; None when not readable here."""
    if not os.path.isfile(items_path):
        return None
    from rec_model.data.csv_records import count_data_lines

    return count_data_lines(items_path)


def create_components(
    config: PipelineConfig,
    example_gen_config: ExampleGenConfig = ExampleGenConfig(),
    embedder_config: EmbedderConfig = EmbedderConfig(),
    pretrainer_config: PretrainerConfig = PretrainerConfig(),
    model_config: ModelConfig = ModelConfig(),
    trainer_config: TrainerConfig = TrainerConfig(),
    evaluator_config: EvaluatorConfig = EvaluatorConfig(),
    infra_validator_config: InfraValidatorConfig = InfraValidatorConfig(),
    input_fingerprint: Optional[str] = None,
) -> List[base_node.BaseNode]:
    """The pipeline's nodes, wired."""
    items_path = os.path.join(config.data_root, features.ITEMS_FILE)
    example_gen = CanonicalExampleGen(
        input_base=config.data_root, config=example_gen_config, input_fingerprint=input_fingerprint
    ).with_id("example_gen")
    transform = RecsysTransform(examples=example_gen.outputs["examples"]).with_id("transform")
    nodes = [example_gen, transform]
    if not runs_stage(config, "embed"):
        return nodes

    preset = None
    if should_pretrain(config.pretrain, _item_count(items_path)):
        pretrainer = DomainPretrainer(items_path=items_path, config=pretrainer_config).with_id(
            "domain_pretrainer"
        )
        nodes.append(pretrainer)
        preset = pretrainer.outputs["preset"]
    embedder = ItemTextEmbedder(
        items_path=items_path, config=embedder_config, backbone_preset=preset
    ).with_id("text_embedder")
    nodes.append(embedder)
    if not runs_stage(config, "train"):
        return nodes
    baseline = baseline_model_resolver()
    trainer = RecsysTrainer(
        examples=example_gen.outputs["examples"],
        transform_graph=transform.outputs["transform_graph"],
        item_embeddings=embedder.outputs["embeddings"],
        base_model=baseline.outputs["model"] if config.warm_start else None,
        model_config=model_config,
        trainer_config=trainer_config,
    ).with_id("trainer")
    nodes += [baseline, trainer]
    if not runs_stage(config, "evaluate"):
        return nodes
    evaluator = RecsysEvaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline.outputs["model"],
        config=evaluator_config,
    ).with_id("evaluator")
    nodes.append(evaluator)
    if runs_stage(config, "push"):
        infra = RecsysInfraValidator(
            model=trainer.outputs["model"],
            examples=example_gen.outputs["examples"],
            config=infra_validator_config,
        ).with_id("infra_validator")
        pusher = RecsysPusher(
            model=trainer.outputs["model"],
            config=PusherConfig(serving_dir=config.serving_dir, model_name=config.model_name),
            model_blessing=evaluator.outputs["blessing"],
            infra_blessing=infra.outputs["blessing"],
        ).with_id("pusher")
        nodes += [infra, pusher]
    return nodes


def create_pipeline(
    config: PipelineConfig,
    metadata_connection_config=None,
    input_fingerprint: Optional[str] = None,
    **component_configs,
) -> tfx_pipeline.Pipeline:
    """Builds the TFX pipeline (no side effects beyond reading input file stats).

    Args:
        config: pipeline-level settings (data, roots, serving dir, Beam flags, cache).
        metadata_connection_config: ML Metadata connection (SQLite or MySQL); None on
            Kubeflow, which provides its own.
        input_fingerprint: cache key of the input data (computed from file stats when None).
        **component_configs: per-component configs passed to `create_components`
            (example_gen_config, embedder_config, pretrainer_config, model_config,
            trainer_config, evaluator_config, infra_validator_config).
    """
    return tfx_pipeline.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        components=create_components(
            config, input_fingerprint=input_fingerprint, **component_configs
        ),
        enable_cache=config.enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(config.beam_pipeline_args),
    )
