import numpy as np
import pytest

from rec_model.interactions import Interactions


def _data(users, items, n_users=3, n_items=4, **kwargs):
    return Interactions(np.array(users), np.array(items), n_users, n_items, **kwargs)


def test_matrix_is_binary_without_ratings_or_with_rating_power_zero():
    data = _data([0, 1, 1], [1, 0, 3])
    want = np.zeros((3, 4))
    want[0, 1] = want[1, 0] = want[1, 3] = 1.0
    np.testing.assert_array_equal(data.matrix(0.5).toarray(), want)
    rated = _data([0, 1, 1], [1, 0, 3], rating=np.array([5.0, 1.0, 3.0]))
    np.testing.assert_array_equal(rated.matrix(0.0).toarray(), want)
    assert data.matrix().dtype == np.float32 and data.matrix().shape == (3, 4)


def test_matrix_weighs_ratings_relative_to_their_mean_to_the_rating_power():
    data = _data([0, 1], [1, 0], rating=np.array([1.0, 4.0]))
    x = data.matrix(0.5).toarray()
    np.testing.assert_allclose([x[0, 1], x[1, 0]], np.sqrt([1 / 2.5, 4 / 2.5]), rtol=1e-6)
    np.testing.assert_allclose(data.matrix(1.0).toarray()[1, 0], 4 / 2.5, rtol=1e-6)
    np.testing.assert_allclose(data.weights(2.0), [(1 / 2.5) ** 2, (4 / 2.5) ** 2], rtol=1e-6)


def test_duplicate_pairs_without_ratings_count_once():
    x = _data([0, 0, 0, 1], [2, 2, 2, 2]).matrix()
    assert x.nnz == 2 and x[0, 2] == 1.0 and x[1, 2] == 1.0


def test_duplicate_rated_pair_keeps_its_largest_weight():
    data = _data([0, 0, 1], [0, 0, 1], rating=np.array([1.0, 1.0, 5.0]))
    w = data.weights(1.0)
    assert data.matrix(1.0)[0, 0] == pytest.approx(w[0])  # 3/7, not 3/7 + 3/7


def test_split_per_user_holds_out_the_share_and_keeps_at_least_one():
    counts = [1, 2, 5, 10]
    users = np.repeat(np.arange(4), counts)
    items = np.concatenate([np.arange(c) for c in counts])
    data = _data(users, items, n_users=4, n_items=10)
    for seed in range(20):
        rest, held = data.split_per_user(0.5, seed=seed)
        assert rest.user_counts()[0] == 1 and np.all(rest.user_counts() >= 1)
        np.testing.assert_array_equal(rest.user_counts() + held.user_counts(), counts)
    rest, held = data.split_per_user(0.99, seed=3)
    assert np.all(rest.user_counts() == 1)
    pairs = set(zip(rest.user_index, rest.item_index)) | set(zip(held.user_index, held.item_index))
    assert pairs == set(zip(users, items)) and rest.size + held.size == data.size


def test_split_per_user_holds_out_light_users_in_proportion():
    users = np.repeat(np.arange(4000), 3)  # 3 interactions each: floor(0.1 x 3) would be 0
    data = _data(users, np.tile(np.arange(3), 4000), n_users=4000, n_items=3)
    held = data.split_per_user(0.1, seed=0)[1]
    assert 0.08 < held.size / data.size < 0.12
    assert (held.user_counts() > 0).mean() > 0.2


def test_split_per_user_with_row_keys_is_stable_when_the_data_grows():
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 50, 2000), rng.integers(0, 30, 2000)
    keys = rng.integers(0, 2 ** 63, 2000).astype(np.uint64)
    old = _data(users[:1500], items[:1500], n_users=50, n_items=30, row_key=keys[:1500])
    new = _data(users, items, n_users=50, n_items=30, row_key=keys,
                from_feedback=np.arange(2000) >= 1500)
    held_old = set(old.split_per_user(0.2, seed=4)[1].row_key.tolist())
    held_new = set(new.split_per_user(0.2, seed=4)[1].row_key.tolist())
    assert held_old == held_new and len(held_old) > 200
    assert held_old != set(old.split_per_user(0.2, seed=5)[1].row_key.tolist())


def test_split_per_user_never_holds_out_feedback_rows():
    users = np.repeat(np.arange(3), 10)
    items = np.tile(np.arange(10), 3)
    flags = np.zeros(30, bool)
    flags[:10] = True  # user 0: only feedback rows
    data = _data(users, items, n_users=3, n_items=10, from_feedback=flags)
    rest, held = data.split_per_user(0.6, seed=0)
    assert not held.from_feedback.any() and rest.from_feedback.sum() == 10
    assert held.user_counts()[0] == 0 and held.size > 0
    assert rest.size + held.size == data.size


def test_split_per_user_is_deterministic_by_seed_and_keeps_columns():
    rng = np.random.default_rng(0)
    data = _data(rng.integers(0, 5, 200), rng.integers(0, 40, 200), n_users=5, n_items=40,
                 timestamp=rng.random(200), rating=rng.integers(1, 6, 200).astype(float))
    a, b = data.split_per_user(0.2, seed=1)[1], data.split_per_user(0.2, seed=1)[1]
    np.testing.assert_array_equal(a.item_index, b.item_index)
    c = data.split_per_user(0.2, seed=2)[1]
    assert not np.array_equal(a.item_index, c.item_index)
    assert a.timestamp is not None and a.rating is not None
    assert a.rating.shape == a.item_index.shape
    assert data.split_per_user(0.0, seed=1)[1].size == 0
    with pytest.raises(ValueError, match="share"):
        data.split_per_user(1.0, seed=1)


def test_histories_are_in_time_order_and_max_length_keeps_the_last_items():
    data = _data([1, 0, 1, 1, 1], [3, 2, 0, 1, 2], timestamp=np.array([40, 5, 10, 30, 20.0]))
    values, weights, splits = data.histories()
    np.testing.assert_array_equal(splits, [0, 1, 5, 5])
    assert values[splits[1]:splits[2]].tolist() == [0, 2, 1, 3]  # t = 10, 20, 30, 40
    assert values.dtype == np.int32 and weights.dtype == np.float32 and np.all(weights == 1)
    values, _, splits = data.histories(max_length=2)
    np.testing.assert_array_equal(splits, [0, 1, 3, 3])
    assert values.tolist() == [2, 1, 3]
    assert data.histories(max_length=10)[0].tolist() == [2, 0, 2, 1, 3]


def test_histories_carry_rating_weights_in_the_same_order():
    data = _data([0, 0], [1, 2], timestamp=np.array([2.0, 1.0]), rating=np.array([4.0, 1.0]))
    values, weights, _ = data.histories(rating_power=1.0)
    assert values.tolist() == [2, 1]
    np.testing.assert_allclose(weights, [1 / 2.5, 4 / 2.5], rtol=1e-6)


def test_concat_keeps_columns_only_when_both_have_them():
    a = _data([0], [1], timestamp=np.array([1.0]), rating=np.array([2.0]))
    b = _data([2], [3], timestamp=np.array([5.0]))
    both = a.concat(b)
    assert both.user_index.tolist() == [0, 2] and both.item_index.tolist() == [1, 3]
    assert both.timestamp.tolist() == [1.0, 5.0] and both.rating is None
    with pytest.raises(ValueError, match="same vocabularies"):
        a.concat(_data([0], [0], n_users=4))


def test_counts():
    data = _data([0, 1, 1], [1, 1, 2], timestamp=np.array([7.0, 3.0, 9.0]))
    np.testing.assert_array_equal(data.item_counts(), [0, 2, 1, 0])
    np.testing.assert_array_equal(data.user_counts(), [1, 2, 0])


@pytest.mark.parametrize("kwargs, match", [
    ({"rating": np.array([1.0, -2.0])}, "ratings must be > 0"),
    ({"rating": np.array([1.0, 0.0])}, "ratings must be > 0"),
    ({"rating": np.array([1.0, np.nan])}, "rating has NaN"),
    ({"timestamp": np.array([1.0, np.inf])}, "timestamp has NaN or infinite"),
    ({"rating": np.array([1.0])}, "one entry per interaction"),
])
def test_invalid_columns_are_rejected_with_clear_messages(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _data([0, 1], [0, 1], **kwargs)


@pytest.mark.parametrize("users, items, match", [
    ([0, 3], [0, 1], r"user_index outside \[0, 3\)"),
    ([0, -1], [0, 1], "user_index outside"),
    ([0, 1], [0, 4], r"item_index outside \[0, 4\)"),
    ([0, 1], [0], "equal-length"),
])
def test_out_of_range_indices_are_rejected(users, items, match):
    with pytest.raises(ValueError, match=match):
        _data(users, items)
