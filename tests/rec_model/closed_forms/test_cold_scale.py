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
    known = np.asarray(rest.matrix(0.0).getnnz(axis=0) > 0)
    validation = Validation.from_split(rest, held, 1000, 0, 0.0)
    return cold_scale.choose_scale(_item_item(rest), text, known, validation, neighbours=5,
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
    known = np.ones(ITEMS, bool)
    assert cold_scale.choose_scale(w, _text(), known, None, 5, 0.05, 40, 0) == (1.0, {})
    validation = Validation.from_split(rest, held, 1000, 0, 0.0)
    no_text = np.zeros((ITEMS, 16))
    assert cold_scale.choose_scale(w, no_text, known, validation, 5, 0.05, 40, 0) == (1.0, {})


def test_the_largest_scale_within_one_standard_error_of_the_best_is_kept():
    best = np.random.default_rng(0).uniform(0.0, 1.0, size=400)
    error = best.std(ddof=1) / np.sqrt(best.size)  # about 0.014
    per_user = {0.0: best, 0.25: best - 0.5 * error, 0.5: best - 0.9 * error, 1.0: best - 0.2}
    assert cold_scale._largest_within_one_error(per_user) == 0.5
    per_user[0.5] = best - 1.1 * error
    assert cold_scale._largest_within_one_error(per_user) == 0.25
    per_user[1.0] = best + 0.01  # the best itself
    assert cold_scale._largest_within_one_error(per_user) == 1.0
    same = {s: best for s in cold_scale.SCALES}
    assert cold_scale._largest_within_one_error(same) == 1.0
