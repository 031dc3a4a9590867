import numpy as np
import pytest

from rec_model.data import synth
from tfx_pipeline.simulation.click_model import PreferenceClickModel


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("world"))
    synth.generate_synthetic(out, n_users=50, n_items=60, n_interactions=500, n_topics=5, seed=1)
    return out


def test_clicks_follow_hidden_preferences(world):
    model = PreferenceClickModel(world, base=0.02, gain=0.6, seed=0)
    prefs, topics = model.preferences, model.item_topics
    liked, disliked = [], []
    for u in range(50):
        fav = int(np.argmax(prefs[u]))
        good = [synth.item_id(j) for j in np.flatnonzero(topics == fav)]
        bad = [synth.item_id(j) for j in np.flatnonzero(prefs[u][topics] == 0)]
        for _ in range(20):
            liked.append(len(model.clicks(synth.user_id(u), good)) / len(good))
            if bad:
                disliked.append(len(model.clicks(synth.user_id(u), bad)) / len(bad))
    assert np.mean(liked) > 0.5
    assert np.mean(disliked) < 0.05


def test_rejects_probabilities_over_one(world):
    with pytest.raises(ValueError):
        PreferenceClickModel(world, base=0.5, gain=0.6)
