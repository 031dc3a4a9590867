"""The columnar split gives exactly the per-record reference rules of `splitting`."""

import collections
import random

import numpy as np
import pytest

from components.example_gen import batch_split, splitting
from components.example_gen.config import ExampleGenConfig
from rec_model import features as F
from rec_model.data.canonical import Interaction
from rec_model.data.interaction_batches import InteractionBatch


def _batch(rows):
    batch = InteractionBatch()
    for row in rows:
        batch.add(row)
    return batch


def _random_rows(seed, n=3000):
    rng = random.Random(seed)
    # Few timestamps and items so ties on (timestamp, item) happen; some users have 1 row.
    return [Interaction(f"u{rng.randrange(400)}", f"i{rng.randrange(30)}", rng.randrange(50),
                        rng.choice([None, 1.0, 4.5])) for _ in range(n)]


def _rows_of(table):
    return list(zip(*(table.column(c).to_pylist()
                      for c in (F.USER_ID, F.ITEM_ID, F.TIMESTAMP, F.RATING))))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fraction,min_rows", [(0.2, 2), (0.5, 3), (0.9, 2)])
def test_time_split_matches_split_user_history(seed, fraction, min_rows):
    config = ExampleGenConfig(eval_fraction=fraction, min_interactions_for_eval=min_rows)
    rows = _random_rows(seed)
    table, is_eval = batch_split.time_split(batch_split.to_table(_batch(rows)), config)

    by_user = collections.defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    expected = collections.Counter()
    for history in by_user.values():
        for split, r in splitting.split_user_history(history, config):
            expected[(split, r.user_id, r.item_id, r.timestamp)] += 1
    got = collections.Counter()
    for row, flag in zip(_rows_of(table), is_eval):
        got[(F.EVAL_SPLIT if flag else F.TRAIN_SPLIT, *row[:3])] += 1
    assert got == expected


def test_time_split_of_nothing():
    table, is_eval = batch_split.time_split(batch_split.SCHEMA.empty_table(), ExampleGenConfig())
    assert table.num_rows == 0 and is_eval.shape == (0,)


def test_random_split_matches_the_per_record_hash():
    config = ExampleGenConfig(split_mode="random", eval_fraction=0.3, seed=7)
    rows = _random_rows(0, 500)
    is_eval = batch_split.random_split(batch_split.to_table(_batch(rows)), config)
    assert is_eval.tolist() == [splitting.random_split(r, config) == F.EVAL_SPLIT for r in rows]


def test_bucket_parts_put_each_user_in_one_bucket_and_lose_no_row():
    rows = _random_rows(1)
    parts = list(batch_split.bucket_parts((_batch(rows), False), 7))
    assert len({bucket for bucket, _ in parts}) == len(parts)
    seen = {}
    back = []
    for bucket, blob in parts:
        table = batch_split.from_bytes([blob])
        for row in _rows_of(table):
            assert seen.setdefault(row[0], bucket) == bucket
            assert batch_split.user_bucket(row[0], 7) == bucket
            back.append(row)
    assert sorted(back, key=repr) == sorted((tuple(r.__dict__.values()) for r in rows), key=repr)


def test_feedback_rows_are_flagged_and_stay_in_train_unless_evaluated():
    rows = [Interaction(f"u{n}", f"i{n}", n, None) for n in range(40)]
    table = batch_split.to_table(_batch(rows), from_feedback=True)
    record_batch = batch_split.example_batch(table)
    assert record_batch.column(F.FROM_FEEDBACK).to_pylist() == [[1]] * 40
    kept = ExampleGenConfig(split_mode="random", eval_fraction=0.5, seed=1)
    assert not batch_split.random_split(table, kept).any()
    evaluated = ExampleGenConfig(split_mode="random", eval_fraction=0.5, seed=1,
                                 evaluate_feedback=True)
    assert batch_split.random_split(table, evaluated).any()
    plain = batch_split.to_table(_batch(rows))
    assert batch_split.example_batch(plain).column(F.FROM_FEEDBACK).to_pylist() == [[0]] * 40


def test_example_batch_fills_missing_ratings_with_zero():
    rows = [Interaction("u1", "i\u00e9", 5, None), Interaction("u2", "i2", 6, 2.5)]
    record_batch = batch_split.example_batch(batch_split.to_table(_batch(rows)))
    assert record_batch.column(F.RATING).to_pylist() == [[0.0], [2.5]]
    assert record_batch.column(F.ITEM_ID).to_pylist() == [["i\u00e9".encode()], [b"i2"]]
    assert np.asarray(record_batch.column(F.TIMESTAMP).flatten()).tolist() == [5, 6]
