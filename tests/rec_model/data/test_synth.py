"""Synthetic data: determinism, canonical format and planted preferences."""

import collections
import filecmp
import os

import numpy as np
import pytest

from rec_model.data import synth
from rec_model.data.canonical import Interaction, iter_interactions, read_items

ARGS = dict(n_users=300, n_items=400, n_interactions=9_000, n_topics=8, seed=3, chunk_rows=2_000)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    stats = synth.generate_synthetic(str(out), **ARGS)
    return out, stats


def test_same_arguments_give_identical_files(folder, tmp_path):
    out, _ = folder
    synth.generate_synthetic(str(tmp_path), **ARGS)
    names = sorted(os.listdir(out))
    assert names == sorted(os.listdir(tmp_path))
    match, mismatch, errors = filecmp.cmpfiles(out, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []
    other = tmp_path / "other"
    synth.generate_synthetic(str(other), **{**ARGS, "seed": 4})
    assert (other / "interactions.csv").read_bytes() != (out / "interactions.csv").read_bytes()


def test_files_are_clean_canonical_data(folder):
    out, stats = folder
    rows = list(iter_interactions(str(out / "interactions.csv")))
    assert all(isinstance(r, Interaction) for r in rows)
    assert len(rows) == stats["interactions"] == ARGS["n_interactions"]
    assert {r.user_id for r in rows} == {synth.user_id(u) for u in range(ARGS["n_users"])}
    items, bad = read_items(str(out / "items.csv"))
    assert not bad and [i.item_id for i in items] == [synth.item_id(j)
                                                      for j in range(ARGS["n_items"])]
    topics = synth.topic_of_items(str(out))
    names = synth.load_synth_meta(str(out))["topic_names"]
    assert (topics.shape == (ARGS["n_items"],)
            and np.bincount(topics).min() == ARGS["n_items"] // ARGS["n_topics"])
    for item in items[:20]:
        assert names[topics[synth.parse_index(item.item_id)]] in item.text
    assert all(r.rating in (1.0, 2.0, 3.0, 4.0, 5.0) for r in rows)
    last = {}
    for r in rows:
        assert r.timestamp > last.get(r.user_id, 0)
        last[r.user_id] = r.timestamp


def test_planted_preferences_are_visible(folder):
    out, stats = folder
    prefs = synth.load_user_preferences(str(out))
    topics = synth.topic_of_items(str(out))
    assert prefs.shape == (ARGS["n_users"], ARGS["n_topics"]) and prefs.dtype == np.float32
    np.testing.assert_allclose(prefs.sum(axis=1), 1.0, rtol=1e-5)
    assert set((prefs > 0).sum(axis=1)) <= {1, 2, 3}
    rows = list(iter_interactions(str(out / "interactions.csv")))
    u = np.array([synth.parse_index(r.user_id) for r in rows])
    t = topics[[synth.parse_index(r.item_id) for r in rows]]
    preferred = prefs[u, t] > 0
    chance = ((prefs > 0).sum(axis=1)[u] / ARGS["n_topics"]).mean()
    assert preferred.mean() > 0.85 and chance < 0.3
    assert preferred.mean() == pytest.approx(stats["preferred_share"])
    ratings = np.array([r.rating for r in rows])
    assert ratings[preferred].mean() > ratings[~preferred].mean() + 1.0
    # A user's most frequent topic is one of their planted ones.
    per_user = collections.defaultdict(collections.Counter)
    for user, topic in zip(u, t):
        per_user[user][topic] += 1
    hits = [prefs[user, counter.most_common(1)[0][0]] > 0 for user, counter in per_user.items()
            if sum(counter.values()) >= 10]
    assert len(hits) > 100 and np.mean(hits) > 0.95


def test_popularity_is_skewed_within_topic(folder):
    out, _ = folder
    counts = collections.Counter(r.item_id
                                 for r in iter_interactions(str(out / "interactions.csv")))
    top = sum(n for _, n in counts.most_common(ARGS["n_items"] // 10))
    assert top / ARGS["n_interactions"] > 0.3  # uniform would give ~0.1


def test_more_topics_than_base_vocabulary_and_bad_arguments(tmp_path):
    stats = synth.generate_synthetic(str(tmp_path / "t"), 20, 60, 100, n_topics=25, seed=0)
    assert stats["topics"] == 25
    words = synth.load_synth_meta(str(tmp_path / "t"))["topic_words"]
    assert len(words) == 25 and all(len(w) == 15 for w in words)
    with pytest.raises(ValueError, match="--items"):
        synth.generate_synthetic(str(tmp_path / "x"), 10, 5, 10, n_topics=20)


def test_fewer_interactions_than_users(tmp_path):
    stats = synth.generate_synthetic(str(tmp_path), 50, 20, 10, n_topics=4, seed=1)
    assert stats["interactions"] == 10
    assert len(list(iter_interactions(str(tmp_path / "interactions.csv")))) == 10
