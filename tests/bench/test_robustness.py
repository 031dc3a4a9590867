"""The default model on data with real data's traits: finite, and better than popularity and
item-kNN on every shape (bench/robustness; the full table is bench/results/robustness.md)."""

import numpy as np
import pytest

from bench.robustness import run, shapes


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(shapes.SHAPES))
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
