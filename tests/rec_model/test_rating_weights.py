"""The rating power is chosen on the validation slice: kept when ratings tell the model
something, dropped when they are noise."""

import numpy as np
import pytest

from rec_model import rating_weights
from rec_model.interactions import Interactions


def _clustered(users=300, items=120, clusters=6, own=12, noise=12, seed=0):
    """Each user: `own` items of the user's cluster rated 5, `noise` random items rated 1."""
    rng = np.random.default_rng(seed)
    per = items // clusters
    u, i, r = [], [], []
    for user in range(users):
        c = user % clusters
        mine = rng.choice(np.arange(c * per, (c + 1) * per), own, replace=False)
        other = rng.choice(np.setdiff1d(np.arange(items), mine), noise, replace=False)
        u += [user] * (own + noise)
        i += [*mine, *other]
        r += [5.0] * own + [1.0] * noise
    return Interactions(np.array(u), np.array(i), users, items, rating=np.array(r))


def _choose(data, requested=None):
    rest, held = data.split_per_user(0.2, 0)
    return rating_weights.choose(requested, rest, held, 1000, 0, 0.25)


def test_informative_ratings_keep_their_weight():
    power, report = _choose(_clustered())
    assert power == 0.5 and report["rating_power"] == 0.5
    assert report["seconds"] > 0
    assert report["validation_ndcg@20_power=0.5"] > report["validation_ndcg@20_power=0"]


def test_heavy_tailed_noise_in_the_rating_column_is_ignored():
    data = _clustered()
    noisy = Interactions(data.user_index, data.item_index, data.num_users, data.num_items,
                         rating=np.random.default_rng(3).lognormal(0.0, 2.5, data.size))
    power, report = _choose(noisy)
    assert power == 0.0 and report["rating_power"] == 0.0
    assert report["validation_ndcg@20_power=0"] > 1.5 * report["validation_ndcg@20_power=0.5"]


def test_nothing_to_choose_without_ratings_or_with_a_power_set():
    data = _clustered()
    plain = Interactions(data.user_index, data.item_index, data.num_users, data.num_items)
    assert _choose(plain) == (0.0, {"rating_power": 0.0})
    constant = Interactions(data.user_index, data.item_index, data.num_users, data.num_items,
                            rating=np.full(data.size, 4.0))
    assert _choose(constant)[0] == 0.0
    assert _choose(data, requested=1.0) == (1.0, {"rating_power": 1.0})


def test_large_data_is_probed_on_a_sample_of_users_and_the_most_popular_items(monkeypatch):
    monkeypatch.setattr(rating_weights, "PROBE_USERS", 50)
    monkeypatch.setattr(rating_weights, "PROBE_ITEMS", 30)
    data = _clustered()
    rest, held = data.split_per_user(0.2, 0)
    small_rest, small_held = rating_weights.probe_data(rest, held, 0)
    # 50 users sampled (one may keep none of the 30 items)
    assert 45 <= np.unique(small_rest.user_index).size <= 50 and small_rest.num_items == 30
    assert set(np.unique(small_held.user_index)) <= set(np.unique(small_rest.user_index))
    assert small_rest.item_index.max() < 30 and small_held.item_index.max() < 30
    counts = np.bincount(rest.item_index[np.isin(rest.user_index, small_rest.user_index)],
                         minlength=rest.num_items)
    assert small_rest.size == np.sort(counts)[::-1][:30].sum()  # ties aside: the top 30
    assert small_rest.rating is not None and small_rest.rating.size == small_rest.size
    assert rating_weights.choose(None, rest, held, 1000, 0, 0.25)[0] in rating_weights.POWERS


@pytest.mark.parametrize("value", [0.0, 0.5, None])
def test_the_config_takes_a_power_or_leaves_it_to_the_data(value):
    from rec_model.config import ModelConfig

    config = ModelConfig(rating_power=value)
    assert ModelConfig.from_json(config.to_json()).rating_power == value
