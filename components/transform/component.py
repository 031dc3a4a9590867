"""transform: tf.Transform analysis (vocabularies, popularity, timestamp features)."""

from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import channel, component_spec, standard_artifacts

from components.transform import executor


class RecsysTransformSpec(component_spec.ComponentSpec):
    """Inputs and outputs of `RecsysTransform`."""

    PARAMETERS = {}
    INPUTS = {
        executor.EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples),
    }
    OUTPUTS = {
        executor.TRANSFORM_GRAPH_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.TransformGraph),
        executor.TRANSFORMED_EXAMPLES_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Examples),
    }


class RecsysTransform(base_beam_component.BaseBeamComponent):
    """Analyzes the train split with tf.Transform and transforms every split.

    Outputs `transform_graph` (TFX's TransformGraph layout: `transform_fn/` +
    `transformed_metadata/`, loadable with `tft.TFTransformOutput`) and
    `transformed_examples` (`Split-<name>/transformed_examples-*.gz`). The preprocessing
    function is `components.transform.preprocessing.preprocessing_fn`.
    """

    SPEC_CLASS = RecsysTransformSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, examples: channel.BaseChannel):
        spec = RecsysTransformSpec(
            examples=examples,
            transform_graph=channel.Channel(type=standard_artifacts.TransformGraph),
            transformed_examples=channel.Channel(type=standard_artifacts.Examples),
        )
        super().__init__(spec=spec)
