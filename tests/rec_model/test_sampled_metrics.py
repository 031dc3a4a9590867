"""Seeded user samples and confidence intervals shared by the evaluator and the trainer."""

import math
import random

import numpy as np
import pytest

from rec_model.sampled_metrics import mean_with_ci, paired_difference_ci, sample_users


def test_sample_is_seeded_sorted_and_independent_of_input_order():
    users = [f"u{i}" for i in range(5000)]
    shuffled = users[:]
    random.Random(3).shuffle(shuffled)
    first = sample_users(users, 100, seed=7)
    assert first == sample_users(shuffled + users[:50], 100, seed=7)  # order and repeats
    assert first == sorted(first) and len(set(first)) == 100 and set(first) <= set(users)
    assert first != sample_users(users, 100, seed=8)


def test_larger_sample_contains_smaller_and_new_users_move_few():
    users = [f"u{i}" for i in range(5000)]
    small, large = sample_users(users, 100, 1), sample_users(users, 400, 1)
    assert set(small) <= set(large)
    grown = sample_users(users + [f"new{i}" for i in range(50)], 100, 1)
    assert len(set(grown) & set(small)) >= 90  # 1% more users changes about 1% of the sample


def test_small_populations_and_zero_mean_everyone():
    assert sample_users(["b", "a", "b"], 10, 0) == ["a", "b"]
    assert sample_users(["b", "a"], 0, 0) == ["a", "b"]
    assert sample_users(np.array([3, 1, 2, 3]), 2, 0) in ([1, 2], [1, 3], [2, 3])
    with pytest.raises(ValueError, match="max_users"):
        sample_users(["a"], -1)


def test_sample_mean_is_unbiased_enough_to_recover_the_population_mean():
    rng = np.random.default_rng(0)
    values = {f"u{i}": float(v) for i, v in enumerate(rng.beta(2, 5, 100_000))}
    picked = sample_users(values, 5000, seed=42)
    ci = mean_with_ci([values[u] for u in picked])
    truth = float(np.mean(list(values.values())))
    assert ci.low <= truth <= ci.high


def test_ci_is_the_normal_interval():
    values = [0.0, 1.0, 0.5, 0.25, 0.75]
    ci = mean_with_ci(values, 0.95)
    half = 1.959963984540054 * np.std(values, ddof=1) / math.sqrt(5)
    assert ci.mean == pytest.approx(0.5) and ci.n == 5
    assert (ci.low, ci.high) == pytest.approx((0.5 - half, 0.5 + half))
    assert mean_with_ci(values, 0.5).half_width < ci.half_width


def test_ci_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(400):
        ci = mean_with_ci(rng.binomial(1, 0.3, 400).astype(float))
        hits += ci.low <= 0.3 <= ci.high
    assert 0.91 <= hits / 400 <= 0.98


def test_single_value_has_no_interval_and_empty_is_an_error():
    ci = mean_with_ci([0.3])
    assert ci.mean == 0.3 and math.isnan(ci.low) and ci.as_list() == [None, None]
    with pytest.raises(ValueError, match="at least one"):
        mean_with_ci([])
    with pytest.raises(ValueError, match="confidence"):
        mean_with_ci([1.0, 2.0], 1.0)


def test_paired_difference_is_tighter_than_separate_intervals():
    rng = np.random.default_rng(2)
    base = rng.random(1000)
    better = base + 0.01 + rng.normal(0, 0.005, 1000)
    diff = paired_difference_ci(better, base)
    assert diff.low > 0  # the paired interval sees the small, consistent gain
    assert mean_with_ci(better).low < mean_with_ci(base).high  # separate intervals overlap
    with pytest.raises(ValueError, match="same users"):
        paired_difference_ci([1.0], [1.0, 2.0])
