"""pusher: blessed models into the folder a model server watches."""

from typing import Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel, component_spec, standard_artifacts

from components.pusher import executor
from components.pusher.config import PusherConfig


class RecsysPusherSpec(component_spec.ComponentSpec):
    """Inputs, parameters and outputs of `RecsysPusher`."""

    PARAMETERS = {executor.CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
    INPUTS = {
        executor.MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        executor.MODEL_BLESSING_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.ModelBlessing, optional=True),
        executor.INFRA_BLESSING_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.InfraBlessing, optional=True),
    }
    OUTPUTS = {
        executor.PUSHED_MODEL_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.PushedModel),
    }


class RecsysPusher(base_component.BaseComponent):
    """Copies the model to `<serving_dir>/<model_name>/<version>/` when every given blessing holds.

    The copy goes to a hidden `.tmp-<version>` sibling and is renamed into place, so the server
    never sees a partial model; version = unix seconds, strictly above existing versions; only
    the newest `keep_last_n` versions are kept. Output `pushed_model` (PushedModel, as TFX's
    Pusher: custom properties `pushed` 1/0, `pushed_destination`, `pushed_version`, plus
    `pushed_model_id`, `push_message`; file `PUSHED` + `push.json`, or `NOT_PUSHED` with the
    reason).
    """

    SPEC_CLASS = RecsysPusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: channel.BaseChannel,
        config: PusherConfig,
        model_blessing: Optional[channel.BaseChannel] = None,
        infra_blessing: Optional[channel.BaseChannel] = None,
    ):
        """Args:
            model: the candidate Model.
            config: destination and retention.
            model_blessing: the evaluator's `blessing`; when given it must be blessed.
            infra_blessing: the infra validator's `blessing`; when given it must be blessed.
        """
        spec = RecsysPusherSpec(
            model=model,
            model_blessing=model_blessing,
            infra_blessing=infra_blessing,
            config_json=config.to_json(),
            pushed_model=channel.Channel(type=standard_artifacts.PushedModel),
        )
        super().__init__(spec=spec)
