"""TFJobConfig: defaults, checks, JSON round trip."""

import pytest

from components.trainer.tfjob_config import TFJobConfig


def test_round_trip_and_unknown_fields():
    config = TFJobConfig(image="i", namespace="ml", node_selector={"pool": "cpu"}, env={"A": 1})
    assert config.env == {"A": "1"}
    assert TFJobConfig.from_json(config.to_json()) == config
    assert TFJobConfig.from_json("") == TFJobConfig()
    with pytest.raises(ValueError, match=r"unknown TFJobConfig field\(s\) \['memroy'\]"):
        TFJobConfig.from_json('{"memroy": "8Gi"}')


@pytest.mark.parametrize("fields, message", [
    ({"memory": "8 GB"}, "quantity"), ({"cpu_limit": "two"}, "quantity"),
    ({"restart_policy": "Always"}, "restart_policy"), ({"cleanup": "sometimes"}, "cleanup"),
    ({"clean_pod_policy": "none"}, "clean_pod_policy"), ({"timeout_seconds": 0}, "timeout"),
    ({"gpus": -1}, "gpus"),
])
def test_bad_values_are_refused_with_the_field_named(fields, message):
    with pytest.raises(ValueError, match=message):
        TFJobConfig(**fields)
