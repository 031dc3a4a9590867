"""The resolver node that feeds the evaluator's `baseline_model` with the live model."""

from tfx.dsl.components.common import resolver
from tfx.dsl.input_resolution.strategies import latest_blessed_model_strategy
from tfx.types import channel, standard_artifacts

RESOLVER_ID = "latest_blessed_model_resolver"


def baseline_model_resolver(node_id: str = RESOLVER_ID) -> resolver.Resolver:
    """A Resolver returning the newest Model blessed by the evaluator (TFX's
    LatestBlessedModelStrategy).

    It reads ML Metadata before the run: the Model whose ModelBlessing has custom properties
    `blessed` = 1 and `current_model_id` = the model's id (the evaluator writes both). On the
    first run it yields nothing and the evaluator gates against popularity. The strategy is one of
    the two that `KubeflowV2DagRunner` compiles, so the same node runs locally and on Kubeflow.

    The pusher pushes only models that are blessed by the evaluator *and* the infra validator, so
    the newest evaluator-blessed model is the live one unless its infra validation failed (then
    the gate compares against a model that never went live, which is stricter, not looser).

    Usage:
        baseline = baseline_model_resolver()
        evaluator = RecsysEvaluator(examples, trainer.outputs["model"], baseline.outputs["model"])
        components = [..., baseline, evaluator, ...]

    Returns:
        A Resolver node with outputs "model" (Model) and "model_blessing" (ModelBlessing).
    """
    return resolver.Resolver(
        strategy_class=latest_blessed_model_strategy.LatestBlessedModelStrategy,
        model=channel.Channel(type=standard_artifacts.Model),
        model_blessing=channel.Channel(type=standard_artifacts.ModelBlessing),
    ).with_id(node_id)
