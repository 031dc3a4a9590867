"""trainer: Examples + TransformGraph + ItemEmbeddings (+ base Model) -> Model + ModelRun."""

from typing import Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel, component_spec, standard_artifacts

from components import artifacts
from components.trainer import executor
from components.trainer.config import TrainerConfig
from rec_model.config import ModelConfig


class RecsysTrainerSpec(component_spec.ComponentSpec):
    """Inputs, parameters and outputs of `RecsysTrainer`."""

    PARAMETERS = {
        executor.MODEL_CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        executor.TRAINER_CONFIG_KEY: component_spec.ExecutionParameter(type=str),
    }
    INPUTS = {
        executor.EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples),
        executor.TRANSFORM_GRAPH_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.TransformGraph, optional=True),
        executor.ITEM_EMBEDDINGS_KEY: component_spec.ChannelParameter(
            type=artifacts.ItemEmbeddings),
        executor.BASE_MODEL_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        executor.MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        executor.MODEL_RUN_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelRun),
    }


class RecsysTrainer(base_component.BaseComponent):
    """Trains the multi-agent model (1 or N workers, MultiWorkerMirroredStrategy RING) and
    exports it.

    Outputs `model` (standard Model: the serving SavedModel at `<uri>/Format-Serving/` with
    signatures recommend / recommend_include_seen / score / serving_default, `model_card.json`
    and `warm_start/` for the next warm start; eval metrics and counts as custom properties)
    and `model_run` (standard ModelRun: TensorBoard scalars per stage and epoch -- total and
    per-agent losses, alpha per agent -- plus eval metrics, and worker logs).
    """

    SPEC_CLASS = RecsysTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        examples: channel.BaseChannel,
        item_embeddings: channel.BaseChannel,
        transform_graph: Optional[channel.BaseChannel] = None,
        base_model: Optional[channel.BaseChannel] = None,
        model_config: ModelConfig = ModelConfig(),
        trainer_config: TrainerConfig = TrainerConfig(),
    ):
        """Args:
            examples: example_gen's Examples (Split-train/, Split-eval/).
            item_embeddings: text_embedder's ItemEmbeddings (the catalogue, cold items included).
            transform_graph: transform's TransformGraph (user vocabulary; run by serving_default).
            base_model: the last blessed/pushed Model to warm start from (e.g. the evaluator's
                baseline resolver output); ignored when `trainer_config.warm_start` is False.
            model_config: the model.
            trainer_config: workers and who launches them (local, TFJob, Vertex AI), warm
                start, serving options.
        """
        spec = RecsysTrainerSpec(
            examples=examples,
            transform_graph=transform_graph,
            item_embeddings=item_embeddings,
            base_model=base_model,
            model_config_json=model_config.to_json(),
            trainer_config_json=trainer_config.to_json(),
            model=channel.Channel(type=standard_artifacts.Model),
            model_run=channel.Channel(type=standard_artifacts.ModelRun),
        )
        super().__init__(spec=spec)
