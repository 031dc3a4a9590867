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
    assert EvalSet.from_rows(train, eval_, max_users=1).users == ("u1",)


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
