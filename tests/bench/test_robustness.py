"""The default model on data with real data's traits: finite, and better than popularity and
item-kNN on every shape (bench/robustness; the full table is bench/results/robustness.md)."""

import numpy as np
import pytest

from bench.robustness import run, shapes


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted({**shapes.SHAPES, **shapes.REAL_LIKE_SHAPES}))
def test_default_model_beats_popularity_and_item_knn(name):
    row = run.run_shape(name)
    assert row["finite"], row
    assert row["ndcg@10"] > row["popularity_ndcg@10"], row
    assert row["ndcg@10"] > row["item_knn_ndcg@10"], row


def test_shapes_have_their_trait():
    tail = shapes.single_interaction_tail(shapes.generate(200, 100, 2000))
    counts = np.bincount(tail.item, minlength=tail.num_items)
    assert (counts == 1).mean() > 0.35
    heavy = shapes.heavy_users(shapes.generate(200, 100, 2000), count=3, per_user=300)
    assert (np.bincount(heavy.user) > 300).sum() >= 3
    assert all(". " not in t for t in shapes.names_only(shapes.generate(50, 20, 200)).texts)


def test_real_like_shapes_have_the_traits_of_the_data_sets_they_stand_for():
    movies = shapes.movielens_small_like()
    per_user = np.bincount(movies.user)
    per_item = np.bincount(movies.item, minlength=movies.num_items)
    assert movies.num_users == 610 and 9000 < movies.num_items < 10500
    assert (per_user > 1000).sum() >= 10 and 0.25 < (per_item == 1).mean() < 0.4
    assert set(np.unique(movies.rating * 2) % 1) == {0.0} and movies.rating.min() == 0.5
    assert np.ptp(movies.timestamp) > 20 * 365 * 86400
    assert np.unique(movies.user * movies.num_items + movies.item).size == movies.user.size
    music = shapes.music_listening_like()
    per_user = np.bincount(music.user)
    per_item = np.bincount(music.item, minlength=music.num_items)
    assert music.num_users == 1892 and 15000 < music.num_items < 18000
    assert np.median(per_user) >= 40 and per_user.max() < 80
    assert (per_item == 1).mean() > 0.55
    assert music.rating is None and music.timestamp is None
    assert all(". " not in t for t in music.texts)


def _stored(train):
    """A stand-in holding only what `evaluation.held_out_sets` reads: the stored histories."""
    import types

    x = train.matrix(0.0)
    return types.SimpleNamespace(histories=types.SimpleNamespace(
        values=types.SimpleNamespace(numpy=lambda: x.indices),
        row_splits=types.SimpleNamespace(numpy=lambda: x.indptr)))


def test_ease_reference_picks_its_l2_on_train_and_beats_popularity(monkeypatch):
    shape = shapes.generate(300, 120, 6000)
    train, test = run.split(shape)
    model = _stored(train)
    ease = run.ease_ndcg(model, train, test)
    mean_count = train.matrix(0.0).sum() / shape.num_items
    assert ease["l2"] in ease["validation_ndcg@10"]
    # The grid scales with the item counts of the 80% it is fitted on.
    assert any(np.isclose(ease["l2"], 0.8 * f * mean_count, rtol=0.1) for f in run.EASE_GRID)
    from rec_model.evaluation import held_out_sets, popularity_ids, ranking_metrics

    users, relevant = held_out_sets(model, test, 10000, 0)
    popular = popularity_ids(model, users, train.item_counts(), 10)
    assert ease["ndcg@10"] > ranking_metrics(popular, users, relevant, (10,))["ndcg@10"]
    monkeypatch.setattr(run, "EASE_MAX_ITEMS", 100)
    assert np.isnan(run.ease_ndcg(model, train, test)["ndcg@10"])  # too many items: skipped


def test_paired_difference_is_the_mean_per_user_gap_with_its_interval():
    relevant = {0: {1}, 1: {2}, 2: {3}}
    users = np.array([0, 1, 2])
    better = np.array([[1, 9], [2, 9], [3, 9]])
    worse = np.array([[9, 1], [9, 2], [9, -1]])
    diff = run.paired_difference(better, worse, users, relevant, k=2)
    gap = 1.0 - 1.0 / np.log2(3.0)
    assert diff["mean"] == pytest.approx((2 * gap + 1.0) / 3)
    assert diff["ci95"] > 0
    same = run.paired_difference(better, better, users, relevant, k=2)
    assert same == {"mean": 0.0, "ci95": 0.0}


def test_config_flag_changes_the_defaults_and_names_unknown_fields(monkeypatch, tmp_path, capsys):
    seen = []

    def fake_run_shape(name, config=None, with_ease=False, movielens_dir=None,
                       split_mode="random"):
        seen.append((config, split_mode))
        return {"shape": name, "users": 1, "items": 1, "interactions": 1, "finite": True,
                "ndcg@10": 0.2, "ndcg@10_ci95": 0.0, "popularity_ndcg@10": 0.1,
                "item_knn_ndcg@10": 0.1}

    monkeypatch.setattr(run, "run_shape", fake_run_shape)
    out, config, typo = tmp_path / "r.json", tmp_path / "c.json", tmp_path / "typo.json"
    config.write_text('{"neighbours": 64}')
    typo.write_text('{"neigbours": 64}')
    assert run.main(["--shapes", "no_ratings", "--no-ease", "--out", str(out),
                     "--config", str(config)]) == 0
    assert seen[0][0].neighbours == 64 and seen[0][0].retrieval_candidates == 200  # defaults
    assert seen[0][1] == "random"
    assert run.main(["--shapes", "no_ratings", "--no-ease", "--out", str(out),
                     "--split", "time"]) == 0
    assert seen[1] == (None, "time")
    with pytest.raises(SystemExit):
        run.main(["--shapes", "no_ratings", "--out", str(out), "--config", str(typo)])
    assert "neigbours" in capsys.readouterr().err


def test_a_time_split_holds_out_each_users_latest_and_untimed_shapes_split_at_random():
    shape = shapes.generate(60, 40, 1200)
    train, test = run.split(shape, mode="time")
    last = np.full(shape.num_users, -np.inf)
    np.maximum.at(last, train.user_index, train.timestamp)
    assert test.size and (test.timestamp >= last[test.user_index]).all()
    untimed = run.split(shapes._replace(shape, timestamp=None), mode="time")
    assert abs(untimed[1].size - 0.2 * shape.user.size) <= 1  # the random 80/20 cut
