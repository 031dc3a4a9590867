import numpy as np
import pytest

from components.trainer.canonical_inputs import inputs_from_canonical, split_last_per_user
from components.trainer.config import TrainerConfig
from components.trainer.training_inputs import (TrainingInputs, build_inputs,
                                                read_examples_split)
from tests.components.trainer import helpers


def _rows(pairs, start=1000, ratings=None):
    users, items = zip(*pairs)
    ratings = np.zeros(len(pairs)) if ratings is None else np.asarray(ratings, np.float32)
    return (np.array(users, object), np.array(items, object),
            np.arange(start, start + len(pairs), dtype=np.int64), ratings)


def test_catalogue_keeps_cold_items_and_appends_items_without_text(tmp_path):
    helpers.write_embeddings(str(tmp_path), ["a", "b"], extra=("cold",))
    train = _rows([("u1", "a"), ("u2", "b"), ("u2", "zzz")])
    held = _rows([("u1", "b"), ("u9", "a"), ("u2", "nope")])
    inputs = build_inputs(train, held, str(tmp_path), span=3)
    assert inputs.item_ids == ["a", "b", "cold", "zzz"] and inputs.user_ids == ["u1", "u2"]
    assert inputs.counts["cold_items"] == 1 and inputs.counts["items_without_text"] == 1
    assert np.allclose(inputs.text_embeddings[3], 0.0) and inputs.text_embeddings.shape == (4, 16)
    assert inputs.counts["eval_rows"] == 3 and inputs.counts["eval_rows_unknown_user_or_item"] == 2
    assert list(zip(inputs.eval.user_index, inputs.eval.item_index)) == [(0, 1)]
    assert list(zip(inputs.train.user_index, inputs.train.item_index)) == [(0, 0), (1, 1), (1, 3)]
    assert inputs.data_span == {"min_timestamp": 1000, "max_timestamp": 1002, "span": 3}


def test_ratings_flow_through_with_missing_ones_at_the_mean(tmp_path):
    helpers.write_embeddings(str(tmp_path), ["a", "b"])
    train = _rows([("u1", "a"), ("u1", "b"), ("u2", "a")], ratings=[4.0, 0.0, 2.0])
    inputs = build_inputs(train, _rows([("u1", "a")]), str(tmp_path))
    np.testing.assert_allclose(inputs.train.rating, [4.0, 3.0, 2.0])
    assert inputs.counts["rows_without_rating"] == 1 and inputs.counts["has_ratings"] == 1
    binary = build_inputs(_rows([("u1", "a")]), _rows([("u1", "b")]), str(tmp_path))
    assert binary.train.rating is None and binary.counts["has_ratings"] == 0


def test_negative_ratings_are_ignored_and_counted(tmp_path):
    helpers.write_embeddings(str(tmp_path), ["a", "b"])
    train = _rows([("u1", "a"), ("u1", "b"), ("u2", "a")], ratings=[-1.0, 3.0, -2.0])
    inputs = build_inputs(train, _rows([("u1", "a")]), str(tmp_path))
    assert inputs.train.rating is None
    assert inputs.counts["ratings_ignored_negative"] == 2 and inputs.counts["has_ratings"] == 0


def test_fixed_user_vocabulary_must_cover_train_users(tmp_path):
    helpers.write_embeddings(str(tmp_path), ["a"])
    with pytest.raises(ValueError, match="not in the user vocabulary"):
        build_inputs(_rows([("u1", "a"), ("u2", "a")]), _rows([("u1", "a")]), str(tmp_path),
                     user_vocab=["u1"])
    inputs = build_inputs(_rows([("u1", "a")]), _rows([("u1", "a")]), str(tmp_path),
                          user_vocab=["x", "u1"])
    assert inputs.train.user_index.tolist() == [1] and inputs.user_ids == ["x", "u1"]
    with pytest.raises(ValueError, match="no train interactions"):
        build_inputs(tuple(np.zeros(0) for _ in range(4)), _rows([("u1", "a")]), str(tmp_path))


def test_bytes_ids_are_decoded(tmp_path):
    helpers.write_embeddings(str(tmp_path), ["a"])
    train = (np.array([b"u1"], object), np.array([b"a"], object), np.array([5]), np.zeros(1))
    inputs = build_inputs(train, _rows([("u1", "a")]), str(tmp_path))
    assert inputs.user_ids == ["u1"] and inputs.train.item_index.tolist() == [0]


def test_feedback_flags_reach_the_train_interactions_and_survive_save_load(tmp_path):
    helpers.write_embeddings(str(tmp_path / "e"), ["a", "b", "c"])
    train = _rows([("u1", "c"), ("u1", "a"), ("u2", "b")]) + (np.array([0, 1, 0]),)
    inputs = build_inputs(train, _rows([("u1", "b")]), str(tmp_path / "e"))
    assert inputs.train.from_feedback.tolist() == [False, True, False]
    assert inputs.counts["rows_from_feedback"] == 1
    inputs.save(str(tmp_path / "saved"))
    back = TrainingInputs.load(str(tmp_path / "saved"))
    assert back.train.from_feedback.tolist() == [False, True, False]
    assert back.eval.from_feedback is None
    np.testing.assert_array_equal(back.train.row_key, inputs.train.row_key)
    again = build_inputs(_rows([("u9", "b"), ("u1", "a")], start=1000) + (np.array([0, 1]),),
                         _rows([("u1", "b")]), str(tmp_path / "e"))
    assert again.train.row_key[1] == inputs.train.row_key[1]  # same row, other data version
    no_flags = build_inputs(_rows([("u1", "a")]) + (np.array([0]),), _rows([("u1", "b")]),
                           str(tmp_path / "e"))
    assert no_flags.train.from_feedback is None


def test_save_load_round_trip(tmp_path):
    helpers.write_embeddings(str(tmp_path / "e"), ["a", "b", "c"])
    train = _rows([("u1", "c"), ("u1", "a"), ("u2", "b")], ratings=[5.0, 0.0, 1.0])
    inputs = build_inputs(train, _rows([("u1", "b"), ("u2", "a")]), str(tmp_path / "e"))
    inputs.save(str(tmp_path / "saved"))
    back = TrainingInputs.load(str(tmp_path / "saved"))
    assert back.user_ids == inputs.user_ids and back.item_ids == inputs.item_ids
    for split in ("train", "eval"):
        a, b = getattr(inputs, split), getattr(back, split)
        for column in ("user_index", "item_index", "timestamp", "rating"):
            if getattr(a, column) is None:
                assert getattr(b, column) is None, (split, column)
            else:
                np.testing.assert_array_equal(getattr(a, column), getattr(b, column))
    np.testing.assert_array_equal(back.text_embeddings, inputs.text_embeddings)
    assert back.counts == inputs.counts and back.data_span == inputs.data_span
    with pytest.raises(FileNotFoundError, match="inputs.json"):
        TrainingInputs.load(str(tmp_path / "e"))


def test_canonical_split_holds_out_each_users_latest(tmp_path):
    train, held = split_last_per_user(_rows([("u1", "a"), ("u1", "b"), ("u1", "c"),
                                             ("u1", "d"), ("u2", "a")]), 0.5)
    assert list(held[1]) == ["c", "d"] and list(train[0]) == ["u1", "u1", "u2"]
    data, emb = helpers.synthetic_folder(str(tmp_path))
    inputs = inputs_from_canonical(data, emb, eval_fraction=0.2)
    assert inputs.counts["train_rows"] + inputs.counts["eval_rows"] == 800
    assert inputs.counts["has_ratings"] == 1 and inputs.train.rating is not None
    assert set(helpers.COLD_ITEMS) <= set(inputs.item_ids)
    with pytest.raises(ValueError, match="eval_fraction"):
        inputs_from_canonical(data, emb, eval_fraction=1.0)


def test_canonical_split_holds_out_ties_at_random_not_the_last_rows_of_the_file():
    held_out = set()
    for user in range(40):
        rows = _rows([(f"u{user}", f"i{k:02d}") for k in range(10)])
        rows = (*rows[:2], np.zeros(10, np.int64), rows[3])  # one time: no timestamps
        _, held = split_last_per_user(rows, 0.2)
        assert len(held[1]) == 2
        held_out |= set(held[1])
    assert len(held_out) >= 9  # file order would hold out i08 and i09 for every user


def test_trainer_config_validates_and_round_trips():
    config = TrainerConfig(workers=2, serving_k=5)
    assert TrainerConfig.from_json(config.to_json()) == config
    assert TrainerConfig.from_json("") == TrainerConfig()
    with pytest.raises(ValueError, match="workers"):
        TrainerConfig(workers=0)
    with pytest.raises(ValueError, match="unknown TrainerConfig"):
        TrainerConfig.from_json('{"wrkers": 2}')


def test_an_id_with_a_line_break_survives_or_is_rejected(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "interactions.csv").write_text(
        'user_id,item_id,timestamp,rating\n"u\nx",a,1700000000,3\nu2,a,1700000100,4\n'
        "u2,b,1700000200,5\n", encoding="utf-8")
    helpers.write_embeddings(str(tmp_path / "e"), ["a", "b"])
    try:
        inputs = inputs_from_canonical(str(data), str(tmp_path / "e"))
    except ValueError:
        return  # rejecting the id is a fine answer
    inputs.save(str(tmp_path / "saved"))
    assert TrainingInputs.load(str(tmp_path / "saved")).user_ids == inputs.user_ids


def _write_split(folder, name, rows):
    import tensorflow as tf

    from rec_model import features as F

    folder.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(folder / name), tf.io.TFRecordOptions(
            compression_type="GZIP")) as writer:
        for user, item, ts, rating in rows:
            feature = {F.USER_ID: tf.train.Feature(bytes_list=tf.train.BytesList(
                           value=[user.encode()])),
                       F.ITEM_ID: tf.train.Feature(bytes_list=tf.train.BytesList(
                           value=[item.encode()])),
                       F.TIMESTAMP: tf.train.Feature(int64_list=tf.train.Int64List(value=[ts]))}
            if rating is not None:
                feature[F.RATING] = tf.train.Feature(float_list=tf.train.FloatList(
                    value=[rating]))
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            writer.write(example.SerializeToString())


def test_examples_split_reads_every_file_whole_in_file_order(tmp_path):
    first = [(f"u{n}", f"i{n}", 100 + n, 4.0) for n in range(5)]
    second = [(f"v{n}", f"j{n}", 200 + n, None) for n in range(3)]
    _write_split(tmp_path / "Split-train", "part-00001.gz", second)
    _write_split(tmp_path / "Split-train", "part-00000.gz", first)
    users, items, stamps, ratings, feedback = read_examples_split(str(tmp_path), "train")
    assert users.tolist() == [r[0].encode() for r in first + second]
    assert items.tolist() == [r[1].encode() for r in first + second]
    assert stamps.tolist() == [r[2] for r in first + second]
    assert ratings.tolist() == [4.0] * 5 + [0.0] * 3 and feedback.tolist() == [0] * 8
    with pytest.raises(FileNotFoundError, match="Split-eval"):
        read_examples_split(str(tmp_path), "eval")
