import numpy as np
import pytest

from rec_model import closed_form
from rec_model.agents.history_agent import HistoryAgent
from rec_model.training_data import NO_TIME, TrainingData
from tests.rec_model.synthetic import make_data


def _ease(x, l2):
    p = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


def test_item_item_without_dropout_is_ease_and_dropout_changes_it():
    x = make_data()[0].history_matrix()
    np.testing.assert_allclose(closed_form.item_item(x, 5.0), _ease(x, 5.0), atol=1e-5)
    np.testing.assert_allclose(HistoryAgent.closed_form(x, 5.0), _ease(x, 5.0), atol=1e-5)
    edlae = closed_form.item_item(x, 5.0, dropout=0.3)
    assert np.all(np.diag(edlae) == 0)
    assert not np.allclose(edlae, _ease(x, 5.0), atol=1e-4)


@pytest.mark.parametrize("kwargs, match", [({"l2": 0.0}, "history_l2"), ({"l2": 1.0, "dropout": 1.0}, "edlae_dropout")])
def test_item_item_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        closed_form.item_item(np.eye(3), **kwargs)


def test_user_user_scores_follow_the_users_community():
    x = make_data()[0].history_matrix()
    scores = closed_form.user_user(x, 5.0)
    assert scores.shape == x.shape
    # The planted communities: users 0-24 like items 0-19, so those score higher for user 0.
    assert scores[0, :20].mean() > scores[0, 20:].mean()
    with pytest.raises(ValueError, match="user_l2"):
        closed_form.user_user(x, 0.0)


def test_spectral_filter_is_the_gf_cf_ideal_low_pass_and_follows_communities():
    x = make_data()[0].history_matrix().astype(np.float64)
    scores = x @ closed_form.spectral_filter(x, 4)
    # Reference: the top right singular vectors of the degree-normalised matrix, by SVD.
    du, di = np.maximum(x.sum(1), 1e-12), np.maximum(x.sum(0), 1e-12)
    r = x / np.sqrt(du)[:, None] / np.sqrt(di)[None, :]
    v = np.linalg.svd(r, full_matrices=False)[2][:4].T
    want = (x / np.sqrt(di)) @ v @ v.T * np.sqrt(di)
    np.testing.assert_allclose(scores, want, atol=1e-4)
    # The planted communities: users 0-24 like items 0-19.
    assert scores[0, :20].mean() > scores[0, 20:].mean()
    assert closed_form.spectral_filter(x, 10_000).shape == (x.shape[1], x.shape[1])  # rank capped at items - 1
    with pytest.raises(ValueError, match="spectral_rank"):
        closed_form.spectral_filter(x, 0)


def test_interaction_weights_use_ratings_relative_to_their_mean():
    w = closed_form.interaction_weights(np.array([0, 1]), np.array([1, 0]), 2, 2, np.array([1.0, 4.0]), 0.5)
    np.testing.assert_allclose(w, [[0, np.sqrt(1 / 2.5)], [np.sqrt(4 / 2.5), 0]], rtol=1e-6)
    binary = closed_form.interaction_weights(np.array([0]), np.array([1]), 2, 2, np.array([3.0]), 0.0)
    np.testing.assert_array_equal(binary, [[0, 1], [0, 0]])
    with pytest.raises(ValueError, match="rating_power=0"):
        closed_form.interaction_weights(np.array([0]), np.array([1]), 2, 2, np.array([0.0]), 0.5)


def test_impute_cold_columns_averages_text_neighbours_and_keeps_warm_ones():
    matrix = np.array([[1.0, 2.0, 0.0, 0.0], [3.0, 5.0, 0.0, 0.0]])
    known = np.array([True, True, False, False])
    text = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.05], [0.0, 0.0]])
    out = closed_form.impute_cold_columns(matrix, known, text, neighbours=1, temperature=0.1)
    np.testing.assert_allclose(out[:, 2], matrix[:, 0])  # nearest known item by text
    np.testing.assert_array_equal(out[:, :2], matrix[:, :2])
    np.testing.assert_array_equal(out[:, 3], 0.0)  # no text: left alone
    two = closed_form.impute_cold_columns(matrix, known, text, neighbours=2, temperature=0.1)
    assert matrix[0, 0] < two[0, 2] < matrix[0, 1]  # softmax mix, nearest dominates
    np.testing.assert_array_equal(closed_form.impute_cold_columns(matrix, known, text, 0, 0.1), matrix)


def test_training_data_keeps_ratings_and_first_days():
    rows = np.array([[0, 1, 5, 86400 * 3], [1, 1, 1, 86400 * 2], [1, 0, 3, 86400 * 4]])
    data = TrainingData.from_rows(rows, 2, 3)
    np.testing.assert_array_equal(data.rating, [5, 1, 3])
    np.testing.assert_allclose(data.item_first_day(), [4.0, 2.0, NO_TIME])
    assert data.subset(np.array([True, False, True])).rating.tolist() == [5, 3]
    assert data.weight_matrix(0.5)[0, 1] > data.weight_matrix(0.5)[1, 1]
    with pytest.raises(ValueError, match="rating"):
        TrainingData(np.array([0]), np.array([0]), 1, 1, rating=np.array([1.0, 2.0]))
