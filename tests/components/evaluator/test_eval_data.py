import numpy as np
import pytest

from components.evaluator import eval_data
from components.evaluator.eval_data import EvalSet
from tests.components.evaluator import standin_data


def test_eval_set_follows_the_protocol():
    train = [("u1", "b", 20), ("u1", "a", 10), ("u1", "b", 30), ("u2", "c", 5)]
    eval_ = [("u1", "a", 40), ("u1", "d", 41), ("u2", "c", 50), ("u3", "e", 60)]
    data = EvalSet.from_rows(train, eval_)
    # u2's only eval item is in its train items, so u2 is not evaluated; u3 is (cold user).
    assert data.users == ("u1", "u3")
    assert data.history["u1"] == ("a", "b")  # oldest first, no repeats
    assert data.history["u3"] == ()
    assert data.relevant == {"u1": frozenset({"d"}), "u3": frozenset({"e"})}
    assert data.item_counts == {"a": 1, "b": 2, "c": 1}
    assert data.catalogue == ("a", "b", "c", "d", "e")
    assert data.users_total == 2
    sampled = EvalSet.from_rows(train, eval_, max_users=1)  # a seeded sample, not the first id
    assert len(sampled.users) == 1 and sampled.users_total == 2
    assert set(sampled.history) == set(sampled.relevant) == set(sampled.users)


def _many_users(n_users=300):
    train = [(f"u{u}", f"i{(u + j) % 40}", j) for u in range(n_users) for j in range(4)]
    eval_ = [(f"u{u}", f"i{(u + 7) % 40}", 9) for u in range(n_users)]
    return train, eval_


def test_sample_is_deterministic_per_seed_and_independent_of_row_order():
    train, eval_ = _many_users()
    a = EvalSet.from_rows(train, eval_, max_users=50, seed=3)
    b = EvalSet.from_rows(list(reversed(train)), list(reversed(eval_)), max_users=50, seed=3)
    assert a == b
    assert len(a.users) == 50 and a.users_total == 300 and a.seed == 3
    assert EvalSet.from_rows(train, eval_, max_users=50, seed=4).users != a.users
    full = EvalSet.from_rows(train, eval_)
    assert len(full.users) == 300
    # Sampling changes who is scored, not what is known about a user or the catalogue.
    assert all(a.history[u] == full.history[u] and a.relevant[u] == full.relevant[u]
               for u in a.users)
    assert a.item_counts == full.item_counts and a.catalogue == full.catalogue


def test_examples_are_read_the_same_as_rows(tmp_path):
    train, eval_ = _many_users(40)
    examples = standin_data.write_examples(tmp_path / "ex", train, eval_)
    expected = EvalSet.from_rows(train, eval_, 10, 5)
    assert EvalSet.from_examples(examples.uri, 10, seed=5) == expected


def test_reads_examples_artifact(tmp_path):
    train, eval_ = [("u1", "a", 1), ("u1", "b", 2)], [("u1", "c", 3)]
    examples = standin_data.write_examples(tmp_path / "ex", train, eval_)
    assert eval_data.read_split(examples.uri, "train") == train
    data = EvalSet.from_examples(examples.uri)
    assert data.users == ("u1",) and data.relevant["u1"] == {"c"}


def test_missing_split_and_empty_eval_say_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="Split-eval"):
        eval_data.read_split(str(tmp_path), "eval")
    examples = standin_data.write_examples(tmp_path / "ex", [("u1", "a", 1)], [("u1", "a", 2)])
    with pytest.raises(ValueError, match="no user has an eval item"):
        EvalSet.from_examples(examples.uri)


def test_sorted_unique_and_contains_agree_with_numpy():
    rng = np.random.default_rng(0)
    for keys, queries in ((rng.integers(0, 50, 200), rng.integers(-5, 60, 300)),
                          (np.zeros(0, np.int64), rng.integers(0, 5, 10)),
                          (rng.integers(0, 9, 5), np.zeros(0, np.int64))):
        unique = eval_data._sorted_unique(keys)  # pylint: disable=protected-access
        np.testing.assert_array_equal(unique, np.unique(keys))
        np.testing.assert_array_equal(
            eval_data._sorted_contains(unique, queries),  # pylint: disable=protected-access
            np.isin(queries, keys))
