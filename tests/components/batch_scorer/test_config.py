"""Tests of components/batch_scorer/config.py."""

import pytest

from components.batch_scorer.config import BatchScoreConfig


def test_json_round_trip_and_defaults():
    config = BatchScoreConfig(k=3, exclude_seen=False, max_batch_size=7, max_exclude_cells=99)
    assert BatchScoreConfig.from_json(config.to_json()) == config
    assert BatchScoreConfig.from_json("") == BatchScoreConfig()


def test_unknown_fields_and_bad_values_say_what_is_allowed():
    with pytest.raises(ValueError, match="known fields: .*max_batch_size"):
        BatchScoreConfig.from_json('{"batch_size": 3}')
    with pytest.raises(ValueError, match="max_exclude_cells must be >= 1"):
        BatchScoreConfig(max_exclude_cells=0)
