"""batch_scorer: a BulkInferrer-like component, Model + Examples -> `InferenceResult`."""

from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import channel, component_spec, standard_artifacts

from components.batch_scorer import executor
from components.batch_scorer.config import BatchScoreConfig


class BatchScorerSpec(component_spec.ComponentSpec):
    """Parameters, inputs and outputs of `BatchScorer`."""

    PARAMETERS = {executor.CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
    INPUTS = {
        executor.MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        executor.EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples),
    }
    OUTPUTS = {
        executor.INFERENCE_RESULT_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.InferenceResult),
    }


class BatchScorer(base_beam_component.BaseBeamComponent):
    """Scores every user of `examples` with `model`'s `recommend` signature (Beam RunInference).

    Users are the distinct user ids of the examples' `config.seen_split` split (default train),
    and that split's items are excluded. The `inference_result` artifact holds
    `recommendations.jsonl` (`{"user_id", "item_ids", "scores", "agent_scores"}` per line) and
    `errors.jsonl`, with `users_scored` and `bad_user_ids` as custom properties.
    """

    SPEC_CLASS = BatchScorerSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, model: channel.BaseChannel, examples: channel.BaseChannel,
                 config: BatchScoreConfig = BatchScoreConfig()):
        """Args:
            model: a `Model` channel (SavedModel at `<uri>/Format-Serving/` or `<uri>/`).
            examples: an `Examples` channel (raw example_gen output: `user_id`, `item_id`).
            config: scoring options.
        """
        spec = BatchScorerSpec(
            config_json=config.to_json(), model=model, examples=examples,
            inference_result=channel.Channel(type=standard_artifacts.InferenceResult),
        )
        super().__init__(spec=spec)
