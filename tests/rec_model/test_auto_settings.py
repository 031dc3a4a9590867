import numpy as np
import pytest
import scipy.sparse as sp

from rec_model import auto_settings
from rec_model.interactions import Interactions


def test_neighbours_follow_the_request_or_the_budget():
    assert auto_settings.neighbours_for(1000, 50) == 50
    assert auto_settings.neighbours_for(10, 50) == 9  # at most items - 1
    assert auto_settings.neighbours_for(10) == 9
    assert auto_settings.neighbours_for(1000) == auto_settings.MAX_NEIGHBOURS
    assert auto_settings.neighbours_for(1_000_000) == 27  # (2e10 / 1e6) ** (1/3)
    assert auto_settings.neighbours_for(50_000_000) == auto_settings.MIN_NEIGHBOURS


def test_epochs_follow_the_request_or_a_visit_budget():
    assert auto_settings.epochs_for(1000, 3) == 3
    assert auto_settings.epochs_for(10) == 20 and auto_settings.epochs_for(10**9) == 1
    assert auto_settings.epochs_for(400_000) == 10


def _split():
    users = np.repeat(np.arange(4), 3)
    items = np.array([0, 1, 2, 0, 1, 3, 2, 3, 4, 1, 4, 1])  # user 3 repeats item 1
    rest = Interactions(users[::3].tolist() + users[1::3].tolist(),
                        items[::3].tolist() + items[1::3].tolist(), 4, 5)
    held = Interactions(users[2::3], items[2::3], 4, 5)
    return rest, held


def test_validation_targets_are_held_out_items_not_in_the_source():
    rest, held = _split()
    v = auto_settings.Validation.from_split(rest, held, 10, 0, 0.0)
    assert v.users.tolist() == [0, 1, 2]  # user 3's held-out item is also in its source
    assert v.target.toarray().tolist() == [[0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]
    assert v.source.shape == (3, 5)
    assert auto_settings.Validation.from_split(rest, held, 2, 0, 0.0).users.size == 2
    empty = Interactions(np.zeros(0, int), np.zeros(0, int), 4, 5)
    assert auto_settings.Validation.from_split(rest, empty, 10, 0, 0.0) is None


def test_validation_ndcg_ranks_unseen_items_only():
    rest, held = _split()
    v = auto_settings.Validation.from_split(rest, held, 10, 0, 0.0)
    perfect = lambda src: v.target.toarray() * 10.0 + src.toarray() * 100.0  # noqa: E731
    assert v.ndcg(perfect, k=2) == pytest.approx(1.0)  # source items are never ranked
    worst = lambda src: -v.target.toarray()  # noqa: E731
    assert v.ndcg(worst, k=1) == 0.0
    assert isinstance(v.source, sp.csr_matrix)
    first_only = lambda src: np.where((np.arange(3) == 0)[:, None], perfect(src),  # noqa: E731
                                      worst(src))
    np.testing.assert_allclose(v.ndcg_per_user(first_only, k=2), [1.0, 0.0, 0.0])
    assert v.ndcg(first_only, k=2) == pytest.approx(1 / 3)



def test_validation_ndcg_is_the_same_for_float32_and_float64_scores():
    rng = np.random.default_rng(1)
    data = Interactions(np.repeat(np.arange(300), 6), rng.integers(0, 80, 1800), 300, 80)
    v = auto_settings.Validation.from_split(*data.split_per_user(0.3, 0), 300, 0, 0.0)
    table = rng.permutation(300 * 80).reshape(300, 80)  # distinct scores: no ties
    wide = lambda src: table[v.users[:src.shape[0]]].astype(np.float64)  # noqa: E731
    narrow = lambda src: wide(src).astype(np.float32)  # noqa: E731
    np.testing.assert_array_equal(v.ndcg_per_user(narrow), v.ndcg_per_user(wide))
    assert 0 < v.ndcg(narrow) < 1

def test_validation_ranks_a_subset_of_users_when_the_catalogue_is_large(monkeypatch):
    rng = np.random.default_rng(0)
    users, items = np.repeat(np.arange(3000), 4), rng.integers(0, 50, 12000)
    data = Interactions(users, items, 3000, 50)
    rest, held = data.split_per_user(0.25, 0)
    v = auto_settings.Validation.from_split(rest, held, 3000, 0, 0.0)
    assert v.scored_rows().size == v.users.size  # 50 items: every user is ranked
    seen = []
    score = lambda src: (seen.append(src.shape[0]), rng.random(src.shape))[1]  # noqa: E731
    monkeypatch.setattr(auto_settings, "DENSE_SCORE_BUDGET", 50 * 1000)
    rows = v.scored_rows()
    assert rows.size == auto_settings.MIN_SCORED_USERS < v.users.size
    assert np.all(np.diff(rows) > 0)
    assert 0.0 <= v.ndcg(score) <= 1.0 and sum(seen) == rows.size
    np.testing.assert_array_equal(v.scored_rows(), rows)  # the same users for every setting


def test_validation_ndcg_is_the_same_whatever_the_chunk_size(monkeypatch):
    rng = np.random.default_rng(1)
    users, items = np.repeat(np.arange(300), 6), rng.integers(0, 40, 1800)
    rest, held = Interactions(users, items, 300, 40).split_per_user(0.3, 0)
    v = auto_settings.Validation.from_split(rest, held, 300, 0, 0.0)
    mixing = rng.random((40, 40))
    score = lambda src: src @ mixing  # noqa: E731 - row by row, whatever the chunk
    whole = v.ndcg(score)
    monkeypatch.setattr(auto_settings, "SCORE_CELLS", 7 * 40)  # chunks of 7 users
    assert v.ndcg(score) == pytest.approx(whole, rel=1e-12)
    assert 0.0 < whole < 1.0


def test_users_per_call_keeps_a_users_x_items_block_bounded():
    assert auto_settings.users_per_call(1682) == 256  # MovieLens: the cap
    assert auto_settings.users_per_call(100_000) == 256
    assert auto_settings.users_per_call(1_000_000) == auto_settings.SCORE_CELLS // 1_000_000
    assert auto_settings.users_per_call(10**9) == 1
    assert auto_settings.users_per_call(10, cap=7) == 7


def test_auto_optimizer_is_lazy_adam_once_dense_updates_of_every_row_cost():
    rows = auto_settings.LAZY_UPDATE_ROWS
    assert auto_settings.optimizer_for("auto", 943, 1682) == "adam"
    assert auto_settings.optimizer_for("auto", rows - 100, 100) == "lazy_adam"
    assert auto_settings.optimizer_for("auto", rows - 101, 100) == "adam"
    assert auto_settings.optimizer_for("sgd", 10 ** 6, 10 ** 5) == "sgd"


def test_a_candidate_must_beat_the_baseline_by_more_than_one_paired_error():
    rng = np.random.default_rng(0)
    baseline = rng.random(400)
    noise = rng.normal(0.0, 0.1, 400)  # paired standard error about 0.005
    beats = auto_settings.beats_beyond_paired_error
    assert beats(baseline + 0.02 + noise, baseline)
    assert not beats(baseline + 0.002 + noise, baseline)  # a higher mean, within the noise
    assert not beats(baseline - 0.02 + noise, baseline)
    assert not beats(baseline.copy(), baseline)  # a tie keeps the baseline
    assert beats(baseline + 1e-6, baseline)  # no noise: any gain


def test_grown_neighbours_double_the_budget_while_the_gram_stays_small():
    assert auto_settings.grown_neighbours_for(1682, 128) == 256
    assert auto_settings.grown_neighbours_for(17_632, 104) == 208
    assert auto_settings.grown_neighbours_for(10, 9) == 0  # every other item already
    assert auto_settings.grown_neighbours_for(10, 6) == 9
    assert auto_settings.grown_neighbours_for(100_000, 58) == 0  # the Gram would be too large


def test_a_more_complex_setting_must_gain_at_least_the_relative_margin():
    assert auto_settings.earns_its_cost(0.3010, 0.3000)  # +0.33%
    assert not auto_settings.earns_its_cost(0.3001, 0.3000)  # +0.03%: noise
    assert not auto_settings.earns_its_cost(0.3000, 0.3000)
