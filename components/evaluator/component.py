"""evaluator: candidate vs live model vs popularity on the eval split -> ModelBlessing."""

from typing import Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel, component_spec, standard_artifacts

from components.evaluator import executor
from components.evaluator.config import EvaluatorConfig


class RecsysEvaluatorSpec(component_spec.ComponentSpec):
    """Inputs, parameters and outputs of `RecsysEvaluator`."""

    PARAMETERS = {executor.CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
    INPUTS = {
        executor.EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples),
        executor.MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        executor.BASELINE_MODEL_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        executor.BLESSING_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.ModelBlessing),
        executor.EVALUATION_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.ModelEvaluation),
    }


class RecsysEvaluator(base_component.BaseComponent):
    """Full-ranking Recall@K / NDCG@K of the candidate, the live model and popularity.

    Talks to the models only through their `recommend` (and `score`) signatures, in process.
    Outputs `blessing` (ModelBlessing: `BLESSED` or `NOT_BLESSED` file, custom properties
    `blessed` 1/0, `blessing_message`, `current_model_id`, ... as TFX's Evaluator, so
    `baseline.baseline_model_resolver()` finds it) and `evaluation` (ModelEvaluation holding
    `metrics.json`: candidate, baseline, popularity, per-agent metrics and the reason; the same
    file is also in the blessing's folder).
    """

    SPEC_CLASS = RecsysEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        examples: channel.BaseChannel,
        model: channel.BaseChannel,
        baseline_model: Optional[channel.BaseChannel] = None,
        config: EvaluatorConfig = EvaluatorConfig(),
    ):
        """Args:
            examples: example_gen's Examples (Split-train/ and Split-eval/).
            model: the candidate Model (SavedModel at `<uri>/Format-Serving/` or `<uri>/`).
            baseline_model: the live Model, e.g. `baseline_model_resolver().outputs["model"]`;
                without one the candidate must beat popularity.
            config: metrics and gate.
        """
        spec = RecsysEvaluatorSpec(
            examples=examples,
            model=model,
            baseline_model=baseline_model,
            config_json=config.to_json(),
            blessing=channel.Channel(type=standard_artifacts.ModelBlessing),
            evaluation=channel.Channel(type=standard_artifacts.ModelEvaluation),
        )
        super().__init__(spec=spec)
