import numpy as np
import scipy.sparse as sp

from rec_model.auto_settings import Validation
from rec_model.closed_forms import cold_scale
from rec_model.interactions import Interactions

CLUSTERS, PER_CLUSTER, USERS, PER_USER = 8, 20, 400, 8
ITEMS = CLUSTERS * PER_CLUSTER


def _clustered(seed=0):
    """Users who each consume items of one cluster only; (rest, held) per-user split."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(USERS):
        cluster = u % CLUSTERS
        chosen = rng.choice(PER_CLUSTER, PER_USER, replace=False) + cluster * PER_CLUSTER
        users += [u] * PER_USER
        items += chosen.tolist()
    return Interactions(np.array(users), np.array(items), USERS, ITEMS).split_per_user(0.25, 0)


def _item_item(rest):
    """A plain item-item W: co-occurrence with a zero diagonal, each column summing to 1."""
    x = rest.matrix(0.0)
    gram = (x.T @ x).tocsr().astype(np.float64)
    gram.setdiag(0)
    gram.eliminate_zeros()
    totals = np.maximum(np.asarray(gram.sum(axis=0)).ravel(), 1e-9)
    return (gram @ sp.diags(1.0 / totals)).tocsr()


def _choose(text):
    rest, held = _clustered()
    counts = rest.matrix(0.0).getnnz(axis=0)
    validation = Validation.from_split(rest, held, 1000, 0, 0.0)
    return cold_scale.choose_scale(_item_item(rest), text, counts, validation, neighbours=5,
                                   temperature=0.05, per_column=40, seed=0)


def _text(misleading: bool = False, seed=1):
    """Text naming each item's cluster or (misleading) pairing it with one item of another
    cluster: its text neighbour is then always of the wrong kind."""
    index = np.arange(ITEMS)
    cluster, place = index // PER_CLUSTER, index % PER_CLUSTER
    group = (cluster // 2) * PER_CLUSTER + place if misleading else cluster
    text = np.random.default_rng(seed).normal(0.0, 0.01, size=(ITEMS, ITEMS // 2))
    text[index, group] += 1.0
    return text


def test_text_that_finds_each_items_own_kind_keeps_the_imputed_columns():
    scale, grid = _choose(_text())
    assert set(grid) == set(cold_scale.SCALES)
    assert scale > 0.0
    assert grid[1.0] > grid[0.0] + 0.01  # the simulated items' held-out pairs are found


def test_text_that_points_at_the_wrong_kind_scales_the_imputed_columns_down():
    scale, grid = _choose(_text(misleading=True))
    assert scale < 1.0
    assert max(grid.values()) > grid[1.0] + 0.01


def test_simulated_items_are_a_seeded_share_of_warm_items_with_text():
    text = _text()
    text[:10] = 0.0  # no text: never simulated
    known = np.ones(ITEMS, bool)
    known[10:20] = False  # cold already: never simulated
    chosen = cold_scale.simulated_cold(text, known, seed=3)
    assert chosen.sum() == round(cold_scale.SIMULATED_SHARE * (ITEMS - 20))
    assert not chosen[:20].any()
    np.testing.assert_array_equal(chosen, cold_scale.simulated_cold(text, known, seed=3))
    assert not np.array_equal(chosen, cold_scale.simulated_cold(text, known, seed=4))


def test_without_a_slice_or_text_the_full_prior_stays():
    rest, held = _clustered()
    w = _item_item(rest)
    counts = np.full(ITEMS, 3)
    assert cold_scale.choose_scale(w, _text(), counts, None, 5, 0.05, 40, 0) == (1.0, {})
    validation = Validation.from_split(rest, held, 1000, 0, 0.0)
    no_text = np.zeros((ITEMS, 16))
    assert cold_scale.choose_scale(w, no_text, counts, validation, 5, 0.05, 40, 0) == (1.0, {})


def test_the_largest_scale_within_the_tolerated_standard_errors_of_the_best_is_kept():
    best = np.random.default_rng(0).uniform(0.0, 1.0, size=400)
    error = best.std(ddof=1) / np.sqrt(best.size)  # about 0.014
    per_user = {0.0: best, 0.25: best - 0.5 * error, 0.5: best - 0.9 * error, 1.0: best - 0.2}
    assert cold_scale._largest_within_errors(per_user, 1.0) == 0.5
    assert cold_scale._largest_within_errors(per_user, 0.6) == 0.25
    assert cold_scale._largest_within_errors(per_user, 0.0) == 0.0  # the best mean
    per_user[0.5] = best - 1.1 * error
    assert cold_scale._largest_within_errors(per_user, 1.0) == 0.25
    per_user[1.0] = best + 0.01  # the best itself
    assert cold_scale._largest_within_errors(per_user, 0.0) == 1.0
    same = {s: best for s in cold_scale.SCALES}
    assert cold_scale._largest_within_errors(same, 0.0) == 1.0  # ties keep the prior


def _split_tail_counts(items, interactions, seed=0):
    """Per-item counts in 80% of a Zipf-popular sample whose catalogue is the items the whole
    sample holds (a public data set split at random): its cold items are rare by chance."""
    weights = 1.0 / np.arange(1, items + 1)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(items, interactions, p=weights / weights.sum())
    _, drawn = np.unique(drawn, return_inverse=True)  # the catalogue: items seen at all
    return np.bincount(drawn[rng.random(drawn.size) < 0.8], minlength=drawn.max() + 1)


def test_items_unseen_by_chance_are_not_new_items():
    tail = _split_tail_counts(5000, 20000)
    assert (tail == 0).any()
    assert cold_scale.new_item_share(tail) < 0.5  # fewer unseen than the tail predicts
    # The same catalogue plus as many new items as it has seen ones: all beyond chance.
    launched = np.concatenate([tail, np.zeros(np.count_nonzero(tail), tail.dtype)])
    assert cold_scale.new_item_share(launched) == 1.0
    assert cold_scale.new_item_share(np.full(100, 5)) == 0.0  # nothing cold
    assert cold_scale.new_item_share(np.array([0, 0, 4, 5])) == 1.0  # no tail at all


def test_rare_unseen_items_get_the_best_mean_and_new_ones_the_lean_to_exposure(monkeypatch):
    """The same validation grid: 1/2 is within one standard error of the best (0), so new
    items keep it, while a tail's chance misses take the best mean."""
    best = np.random.default_rng(0).uniform(0.0, 1.0, size=400)
    error = best.std(ddof=1) / np.sqrt(best.size)
    grid = {0.0: best, 0.25: best - 0.2 * error, 0.5: best - 0.6 * error, 1.0: best - 0.2}
    rest, held = _clustered()
    validation = Validation.from_split(rest, held, 1000, 0, 0.0)
    monkeypatch.setattr(Validation, "ndcg_per_user",
                        lambda self, scores, k=20, scale=iter(grid): grid[next(scale)])
    w = _item_item(rest)
    launched = np.concatenate([np.full(ITEMS - 20, 5), np.zeros(20, int)])
    assert cold_scale.choose_scale(w, _text(), launched, validation, 5, 0.05, 40, 0)[0] == 0.5
    monkeypatch.setattr(Validation, "ndcg_per_user",
                        lambda self, scores, k=20, scale=iter(grid): grid[next(scale)])
    rare = np.concatenate([np.full(ITEMS - 60, 1), np.full(20, 2), np.zeros(40, int)])
    assert cold_scale.new_item_share(rare) < 0.2  # 40 unseen of the 250 chance predicts
    assert cold_scale.choose_scale(w, _text(), rare, validation, 5, 0.05, 40, 0)[0] == 0.0
