"""infra_validator: the candidate must load in a real model server and answer real requests."""

from typing import Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel, component_spec, standard_artifacts

from components.infra_validator import executor
from components.infra_validator.config import InfraValidatorConfig


class RecsysInfraValidatorSpec(component_spec.ComponentSpec):
    """Inputs, parameters and outputs of `RecsysInfraValidator`."""

    PARAMETERS = {executor.CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
    INPUTS = {
        executor.MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        executor.EXAMPLES_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Examples, optional=True),
    }
    OUTPUTS = {
        executor.BLESSING_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.InfraBlessing),
    }


class RecsysInfraValidator(base_component.BaseComponent):
    """Serves the candidate with `serving.launcher.start_model_server` and sends gRPC `recommend`
    requests.

    The real `tensorflow_model_server` is used when on PATH, else this package's server (same
    flags, same APIs). Output `blessing` (InfraBlessing, as TFX's InfraValidator: file
    `INFRA_BLESSED` or `INFRA_NOT_BLESSED` holding the reason, custom properties `blessed` 1/0,
    `validation_message`, `server_kind`, `requests_ok`; `server.log` beside them). A model that
    fails to load or answer is NOT blessed, never an error; the server process never outlives
    the execution.
    """

    SPEC_CLASS = RecsysInfraValidatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: channel.BaseChannel,
        examples: Optional[channel.BaseChannel] = None,
        config: InfraValidatorConfig = InfraValidatorConfig(),
    ):
        """Args:
            model: the candidate Model (SavedModel at `<uri>/Format-Serving/` or `<uri>/`).
            examples: example_gen's Examples; requests are built from eval users and their
                train history (anonymous empty-history users when None).
            config: serving and probing settings.
        """
        spec = RecsysInfraValidatorSpec(
            model=model,
            examples=examples,
            config_json=config.to_json(),
            blessing=channel.Channel(type=standard_artifacts.InfraBlessing),
        )
        super().__init__(spec=spec)
