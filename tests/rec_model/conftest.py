"""Shared, read-only models for rec_model tests (tests that change a model build their own)."""

import pytest

from rec_model.trainer import train_multi_agent
from tests.rec_model import synthetic


@pytest.fixture(scope="session")
def fitted():
    """(model with closed forms and serving tables fitted, no gradient training, data, text)."""
    data, text = synthetic.make_data()
    return synthetic.fitted_model(data=data, text=text), data, text


@pytest.fixture(scope="session")
def trained():
    """(TrainResult of the full four-stage training on the tiny data, data, text)."""
    data, text = synthetic.make_data()
    return train_multi_agent(synthetic.tiny_config(), data, text), data, text
