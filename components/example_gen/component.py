"""example_gen: canonical CSV folder -> `Examples` (train/eval) + quarantined rows."""

from typing import Optional

from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import channel, component_spec, standard_artifacts

from components import artifacts
from components.example_gen import executor, input_files
from components.example_gen.config import ExampleGenConfig


class CanonicalExampleGenSpec(component_spec.ComponentSpec):
    """Parameters and outputs of `CanonicalExampleGen`."""

    PARAMETERS = {
        executor.INPUT_BASE_KEY: component_spec.ExecutionParameter(type=str),
        executor.CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        "input_fingerprint": component_spec.ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {}
    OUTPUTS = {
        executor.EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples),
        executor.QUARANTINE_KEY: component_spec.ChannelParameter(
            type=artifacts.QuarantinedRecords),
    }


class CanonicalExampleGen(base_beam_component.BaseBeamComponent):
    """Reads `interactions.csv` with Beam and writes TFX's standard `Examples` layout.

    Outputs `examples` (`Split-train/`, `Split-eval/` gzipped tf.Example TFRecords; span and row
    counts as properties) and `quarantine` (malformed rows with file, line and reason).
    """

    SPEC_CLASS = CanonicalExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(
        self,
        input_base: str,
        config: ExampleGenConfig = ExampleGenConfig(),
        input_fingerprint: Optional[str] = None,
    ):
        """Args:
            input_base: canonical folder (local path or any Beam file system URI).
            config: split configuration.
            input_fingerprint: cache key of the input data; computed from the files' names,
                sizes and mtimes when None and the folder is readable at build time.
        """
        if input_fingerprint is None:
            try:
                input_fingerprint = input_files.input_fingerprint(input_base)
            except Exception:  # pylint: disable=broad-except
                input_fingerprint = ""  # Not readable at build time (e.g. compiled for Kubeflow).
        spec = CanonicalExampleGenSpec(
            input_base=input_base,
            config_json=config.to_json(),
            input_fingerprint=input_fingerprint,
            examples=channel.Channel(type=standard_artifacts.Examples),
            quarantine=channel.Channel(type=artifacts.QuarantinedRecords),
        )
        super().__init__(spec=spec)
