import numpy as np
import pytest

from components.trainer.canonical_inputs import inputs_from_canonical, split_last_per_user
from components.trainer.config import TrainerConfig
from components.trainer.training_inputs import TrainingInputs, build_inputs
from tests.components.trainer import helpers


def _rows(pairs, start=1000):
    users, items = zip(*pairs)
    return np.array(users, object), np.array(items, object), np.arange(start, start + len(pairs), dtype=np.int64)


def test_catalogue_keeps_cold_items_and_appends_items_without_text(tmp_path):
    helpers.write_embeddings(str(tmp_path), ["a", "b"], extra=("cold",))
    train = _rows([("u1", "a"), ("u2", "b"), ("u2", "zzz")])
    held = _rows([("u1", "b"), ("u9", "a"), ("u2", "nope")])
    inputs = build_inputs(train, held, str(tmp_path))
    assert inputs.item_ids == ["a", "b", "cold", "zzz"]
    assert inputs.user_ids == ["u1", "u2"]
    assert inputs.counts["cold_items"] == 1 and inputs.counts["items_without_text"] == 1
    assert np.allclose(inputs.text_embeddings[3], 0.0) and inputs.text_embeddings.shape == (4, 16)
    assert inputs.counts["eval_rows_unknown_user_or_item"] == 2
    assert inputs.eval_by_user() == {0: [1]}
    assert inputs.data_span["min_timestamp"] == 1000


def test_fixed_user_vocabulary_must_cover_train_users(tmp_path):
    helpers.write_embeddings(str(tmp_path), ["a"])
    with pytest.raises(ValueError, match="not in the user vocabulary"):
        build_inputs(_rows([("u1", "a"), ("u2", "a")]), _rows([("u1", "a")]), str(tmp_path), user_vocab=["u1"])
    inputs = build_inputs(_rows([("u1", "a")]), _rows([("u1", "a")]), str(tmp_path), user_vocab=["x", "u1"])
    assert inputs.train.user_index.tolist() == [1]


def test_save_load_round_trip_and_histories_in_time_order(tmp_path):
    helpers.write_embeddings(str(tmp_path / "e"), ["a", "b", "c"])
    users, items, _ = _rows([("u1", "c"), ("u1", "a"), ("u2", "b")])
    inputs = build_inputs((users, items, np.array([30, 10, 20])), _rows([("u1", "b")]), str(tmp_path / "e"))
    inputs.save(str(tmp_path / "saved"))
    back = TrainingInputs.load(str(tmp_path / "saved"))
    assert back.user_ids == inputs.user_ids and back.item_ids == inputs.item_ids
    assert back.user_histories() == [[0, 2], [1]]  # u1: a (t=10) before c (t=30)
    assert back.user_histories(last_n=1) == [[2], [1]]
    np.testing.assert_array_equal(back.text_embeddings, inputs.text_embeddings)


def test_canonical_split_holds_out_each_users_latest(tmp_path):
    rows = _rows([("u1", "a"), ("u1", "b"), ("u1", "c"), ("u1", "d"), ("u2", "a")])
    train, held = split_last_per_user(rows, 0.5)
    assert list(held[1]) == ["c", "d"] and list(train[0]) == ["u1", "u1", "u2"]
    data, emb = helpers.synthetic_folder(str(tmp_path))
    inputs = inputs_from_canonical(data, emb, eval_fraction=0.2)
    assert inputs.counts["train_rows"] + inputs.counts["eval_rows"] == 800
    assert set(helpers.COLD_ITEMS) <= set(inputs.item_ids)


def test_trainer_config_validates_and_round_trips():
    config = TrainerConfig(workers=2, serving_k=5)
    assert TrainerConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="workers"):
        TrainerConfig(workers=0)
    with pytest.raises(ValueError, match="unknown TrainerConfig"):
        TrainerConfig.from_json('{"wrkers": 2}')
