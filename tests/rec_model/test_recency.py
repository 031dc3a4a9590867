"""Recent interactions weigh more only when the data says so: a decay chosen on each user's
latest training items, and only for a model judged on later interactions."""

import numpy as np
import pytest

from rec_model import recency
from rec_model.interactions import Interactions
from rec_model.trainer import refit
from tests.rec_model.synthetic import drifting_tastes, fitted_model, tiny_config


def test_split_latest_per_user_holds_out_each_users_latest_and_keeps_one():
    data = Interactions(np.array([0, 0, 0, 0, 0, 1, 2, 2]), np.array([0, 1, 2, 3, 4, 0, 1, 2]),
                        3, 5, timestamp=np.array([5., 1., 4., 2., 3., 9., 7., 8.]))
    earlier, latest = data.split_latest_per_user(0.4, 0)
    held = sorted(zip(latest.user_index.tolist(), latest.item_index.tolist()))
    assert held == [(0, 0), (0, 2), (2, 2)]  # user 0's two latest, user 2's latest
    assert earlier.size + latest.size == data.size
    assert set(earlier.user_index.tolist()) == {0, 1, 2}  # one-row user 1 keeps its row


def test_split_latest_per_user_never_holds_out_feedback_and_needs_times():
    data = Interactions(np.zeros(4, int), np.arange(4), 1, 4, timestamp=np.arange(4.0),
                        from_feedback=np.array([False, False, False, True]))
    _, latest = data.split_latest_per_user(0.5, 0)
    assert latest.item_index.tolist() == [2]
    untimed = Interactions(np.zeros(4, int), np.arange(4), 1, 4)
    assert untimed.split_latest_per_user(0.5, 0)[1].size == 0
    with pytest.raises(ValueError, match="share"):
        data.split_latest_per_user(1.0, 0)


def test_split_in_time_tells_a_time_split_from_a_random_one():
    data = drifting_tastes()
    assert recency.split_in_time(*data.split_latest_per_user(0.2, 0))
    assert not recency.split_in_time(*data.split_per_user(0.2, 0))
    untimed = Interactions(data.user_index, data.item_index, data.num_users, data.num_items)
    assert not recency.split_in_time(*untimed.split_per_user(0.2, 0))
    flat = Interactions(data.user_index, data.item_index, data.num_users, data.num_items,
                        timestamp=np.zeros(data.size))
    assert not recency.split_in_time(*flat.split_latest_per_user(0.2, 0))


def test_weighted_decays_with_the_distance_from_each_rows_latest():
    weights = np.array([1., 2., 3., 4., 5., 6.], np.float32)
    splits = np.array([0, 4, 4, 6])
    out = recency.weighted(weights, splits, 1.0, 3.0)  # ages 3, 2, 1, 0 | 1, 0
    np.testing.assert_allclose(out, [1 * 1.375, 2 * 1.75, 3 * 2.5, 4 * 4., 5 * 2.5, 6 * 4.])
    assert out.dtype == np.float32
    assert recency.weighted(weights, splits, *recency.NONE).tolist() == weights.tolist()
    assert recency.weighted(weights, splits, 5.0, 0.0).tolist() == weights.tolist()


def _fitted(data):
    """(history-only model fitted on `data`, its refit) as the trainer hands them to `choose`."""
    text = np.random.default_rng(0).normal(size=(data.num_items, 4)).astype(np.float32)
    config = tiny_config(agents=("history",), neighbours=0, history_l2=0.0)
    model = fitted_model(config, data=data, text=text)
    refitted = []

    def refit_on(part):
        refitted.append(part.size)
        refit(model, part, text)

    return model, refit_on, refitted


def test_a_decay_is_chosen_where_taste_drifts_and_none_where_it_stays():
    rest, _ = drifting_tastes().split_per_user(0.1, 0)
    model, refit_on, refitted = _fitted(rest)
    pair, report = recency.choose(None, model, rest, True, 0, refit_on)
    assert pair != recency.NONE and (report["half_life"], report["boost"]) == pair
    chosen = report[f"validation_ndcg@20_half_life={pair[0]:g}_boost={pair[1]:g}"]
    assert chosen > report["validation_ndcg@20_half_life=0_boost=0"]
    # Ranked by a model refitted without the items it ranks: each user's latest fifth.
    assert refitted == [rest.split_latest_per_user(recency.LATEST_SHARE, 0)[0].size]
    steady, _ = drifting_tastes(drift=False).split_per_user(0.1, 0)
    model, refit_on, _ = _fitted(steady)
    pair, report = recency.choose(None, model, steady, True, 0, refit_on)
    assert pair == recency.NONE and "validation_ndcg@20_half_life=10_boost=7" in report


def test_nothing_is_chosen_off_a_time_split_or_when_the_config_fixes_it():
    rest, _ = drifting_tastes().split_per_user(0.1, 0)
    model, refit_on, refitted = _fitted(rest)
    none = {"half_life": 0.0, "boost": 0.0}
    assert recency.choose(None, model, rest, False, 0, refit_on) == (recency.NONE, none)
    assert recency.choose((4.0, 2.0), model, rest, True, 0, refit_on) == (
        (4.0, 2.0), {"half_life": 4.0, "boost": 2.0})
    assert not refitted  # nothing probed, nothing refitted
    assert recency.requested(tiny_config()) is None
    assert recency.requested(tiny_config(recency_half_life=4.0)) == (4.0, 7.0)
    assert recency.requested(tiny_config(recency_half_life=0.0)) == recency.NONE
