"""The exported SavedModels honour the serving contract (serving/README.md)."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from components.trainer.export import ITEM_VOCAB_FILE, USER_VOCAB_FILE, export_serving_model
from rec_model import auto_settings
from rec_model import features as F
from rec_model.config import ModelConfig
from rec_model.gate_fit import set_static_gate
from rec_model.interactions import Interactions
from rec_model.multi_agent_model import EXCLUDED_SCORE
from rec_model.warm_start import build_weights
from serving import testing as standin
from tests.components.trainer import helpers
from tests.components.trainer.conftest import SERVING_K
from tests.rec_model.synthetic import fitted_model

AGENTS = list(ModelConfig().agents)


def _recommend(loaded, users, k, history=None, exclude=None, signature=F.SIGNATURE_RECOMMEND):
    pad = [[""]] * len(users)
    out = loaded.signatures[signature](user_id=tf.constant(users), k=tf.constant(k, tf.int32),
                                       history=tf.constant(history or pad),
                                       exclude=tf.constant(exclude or pad))
    return {key: value.numpy() for key, value in out.items()}


def _ids(array):
    return [[b.decode() for b in row] for row in array]


def _stored(inputs, user, splits=("train", "eval")):
    """Item ids the model stores for user index `user` (train + eval for Format-Serving)."""
    out = set()
    for split in splits:
        data = getattr(inputs, split)
        out |= {inputs.item_ids[i] for i in data.item_index[data.user_index == user]}
    return out


def test_signatures_match_the_standin_contract(exported, tmp_path):
    loaded = exported["serving"]
    reference = tf.saved_model.load(str(standin.export_standin(tmp_path / "standin", version=1)))
    for name in (F.SIGNATURE_RECOMMEND, F.SIGNATURE_SCORE, F.SIGNATURE_DEFAULT):
        ours, theirs = loaded.signatures[name], reference.signatures[name]
        assert ours.structured_input_signature == theirs.structured_input_signature, name
        assert sorted(ours.structured_outputs) == sorted(theirs.structured_outputs), name
        for key, spec in theirs.structured_outputs.items():
            assert ours.structured_outputs[key].dtype == spec.dtype
            assert ours.structured_outputs[key].shape.rank == spec.shape.rank
    assert loaded.signatures[F.SIGNATURE_RECOMMEND_INCLUDE_SEEN].structured_input_signature == \
        loaded.signatures[F.SIGNATURE_RECOMMEND].structured_input_signature


def test_recommend_shapes_order_and_attribution(exported):
    inputs = exported["inputs"]
    out = _recommend(exported["serving"], inputs.user_ids[:2], 5)
    assert out[F.ITEM_IDS].shape == (2, 5) and out[F.SCORES].shape == (2, 5)
    assert out[F.AGENT_SCORES].shape == (2, 5, len(AGENTS))
    assert [n.decode() for n in out[F.AGENT_NAMES]] == AGENTS
    np.testing.assert_allclose(out[F.AGENT_SCORES].sum(-1), out[F.SCORES], rtol=1e-4, atol=1e-4)
    assert np.all(np.diff(out[F.SCORES], axis=1) <= 1e-6)


def test_seen_items_excluded_unless_include_seen_and_rows_padded_with_empty_ids(exported):
    inputs, loaded = exported["inputs"], exported["serving"]
    n_items, seen = len(inputs.item_ids), _stored(inputs, 0)
    out = _recommend(loaded, [inputs.user_ids[0]], n_items)
    top = _ids(out[F.ITEM_IDS])[0]
    real = n_items - len(seen)
    assert not seen & set(top[:real]) and len(set(top[:real])) == real
    assert top[real:] == [""] * len(seen) and np.all(out[F.SCORES][0, real:] == EXCLUDED_SCORE)
    everything = _recommend(loaded, [inputs.user_ids[0]], n_items,
                            signature=F.SIGNATURE_RECOMMEND_INCLUDE_SEEN)
    assert seen <= set(_ids(everything[F.ITEM_IDS])[0])
    assert set(helpers.COLD_ITEMS) <= set(_ids(everything[F.ITEM_IDS])[0])


def test_exclude_and_history_inputs_are_respected_and_padding_ignored(exported):
    inputs, loaded = exported["inputs"], exported["serving"]
    user = inputs.user_ids[3]
    first = _ids(_recommend(loaded, [user], 3)[F.ITEM_IDS])[0]
    again = _ids(_recommend(loaded, [user], 3, exclude=[["", first[0], "no-such-item"]])
                 [F.ITEM_IDS])[0]
    assert first[0] not in again and set(first[1:]) <= set(again)
    with_history = _ids(_recommend(loaded, [user], 3, history=[[first[1], ""]])[F.ITEM_IDS])[0]
    assert first[1] not in with_history


def test_unknown_users_use_their_history_then_popularity(exported):
    inputs, loaded = exported["inputs"], exported["serving"]
    liked = sorted(_stored(inputs, 0))[:2]
    out = _recommend(loaded, ["nobody", "nobody-at-all"], 5, history=[liked, ["", ""]])
    with_history, cold_start = _ids(out[F.ITEM_IDS])
    assert not set(liked) & set(with_history)
    assert np.abs(out[F.AGENT_SCORES][0]).sum() > 0  # scored by the agents
    assert np.all(out[F.AGENT_SCORES][1] == 0)  # popularity: no agent attribution
    counts = inputs.train.concat(inputs.eval).item_counts()  # Format-Serving knows both
    np.testing.assert_allclose(out[F.SCORES][1], np.sort(np.log1p(counts))[::-1][:5], rtol=1e-5)
    assert cold_start[0] == inputs.item_ids[int(np.argmax(counts))]


@pytest.mark.parametrize("k", [0, -1, "catalogue + 1"])
def test_k_outside_the_catalogue_is_invalid_argument(exported, k):
    inputs = exported["inputs"]
    too_many = k == "catalogue + 1"
    k = len(inputs.item_ids) + 1 if too_many else k
    words = (f"k must be <= the catalogue size \\({len(inputs.item_ids)}\\)" if too_many
             else "k must be >= 1")
    with pytest.raises(tf.errors.InvalidArgumentError, match=words):
        _recommend(exported["serving"], [inputs.user_ids[0]], k)


def test_score_agrees_with_recommend_and_masks_unknown_items(exported):
    inputs, loaded = exported["inputs"], exported["serving"]
    user = inputs.user_ids[2]
    rec = _recommend(loaded, [user], 4)
    items = _ids(rec[F.ITEM_IDS])[0]
    out = loaded.signatures[F.SIGNATURE_SCORE](user_id=tf.constant([user]),
                                               item_ids=tf.constant([items + ["unknown", ""]]))
    scores, agents = out[F.SCORES].numpy(), out[F.AGENT_SCORES].numpy()
    assert scores.shape == (1, 6) and agents.shape == (1, 6, len(AGENTS))
    np.testing.assert_allclose(scores[0, :4], rec[F.SCORES][0], rtol=1e-5, atol=1e-6)
    assert np.all(scores[0, 4:] == EXCLUDED_SCORE) and np.all(agents[0, 4:] == 0)


def test_serving_default_parses_examples_like_recommend(exported):
    inputs, loaded = exported["inputs"], exported["serving"]
    user, liked = inputs.user_ids[5], inputs.item_ids[0]

    def example(user_id, history=()):
        feature = {F.USER_ID: tf.train.Feature(bytes_list=tf.train.BytesList(
            value=[user_id.encode()]))}
        if history:
            feature[F.HISTORY] = tf.train.Feature(bytes_list=tf.train.BytesList(
                value=[h.encode() for h in history]))
        return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()

    out = loaded.signatures[F.SIGNATURE_DEFAULT](
        examples=tf.constant([example(user, [liked]), example("stranger")]))
    direct = _recommend(loaded, [user, "stranger"], SERVING_K, history=[[liked], [""]])
    assert _ids(out[F.ITEM_IDS].numpy()) == _ids(direct[F.ITEM_IDS])
    np.testing.assert_allclose(out[F.SCORES].numpy(), direct[F.SCORES], rtol=1e-5)


def test_eval_model_stores_train_items_only_and_serving_model_everything(exported):
    inputs = exported["inputs"]
    n_items, checked = len(inputs.item_ids), 0
    for user in np.unique(inputs.eval.user_index):
        held = _stored(inputs, user, ("eval",)) - _stored(inputs, user, ("train",))
        if not held or checked == 4:
            continue
        uid = inputs.user_ids[user]
        from_eval = set(_ids(_recommend(exported["eval"], [uid], n_items)[F.ITEM_IDS])[0])
        from_serving = set(_ids(_recommend(exported["serving"], [uid], n_items)[F.ITEM_IDS])[0])
        assert held <= from_eval and not held & from_serving
        assert not _stored(inputs, user, ("train",)) & from_eval
        checked += 1
    assert checked == 4


def test_vocabularies_are_asset_files(exported):
    assets = os.path.join(exported["model_dir"], "Format-Serving", "assets")
    for name, ids in ((USER_VOCAB_FILE, exported["inputs"].user_ids),
                      (ITEM_VOCAB_FILE, exported["inputs"].item_ids)):
        with open(os.path.join(assets, name), encoding="utf-8") as f:
            assert f.read().split("\n")[:-1] == ids


# -- the export of an in-process model ---------------------------------------------------------
def _fitted(num_users):
    rng = np.random.default_rng(num_users)
    users = np.repeat(np.arange(num_users), 6)
    data = Interactions(users, rng.integers(0, 24, users.size), num_users, 24,
                        rng.random(users.size))
    text = rng.normal(size=(24, 8)).astype(np.float32)
    return fitted_model(helpers.tiny_model_config(), data, text)


def _export(model, path):
    return export_serving_model(model, [f"u{i}" for i in range(model.num_users)],
                                [f"i{i}" for i in range(model.num_items)], str(path))


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    model = build_weights(_fitted(50))
    path = _export(model, tmp_path_factory.mktemp("in_process") / "small")
    return model, path, tf.saved_model.load(path)


def test_exported_outputs_equal_the_in_process_model(in_process):
    model, _, loaded = in_process
    out = _recommend(loaded, ["u0", "u1", "stranger"], 5,
                     history=[["", ""], ["i3", ""], ["i0", "i1"]], exclude=[["i7"], [""], [""]])
    index = tf.constant([0, 1, -1], tf.int32)
    request = tf.ragged.constant([[], [3], [0, 1]], tf.int32)
    seen = tf.concat([model.histories.rows(index)[0], request], axis=1)
    blocked = tf.concat([seen, tf.ragged.constant([[7], [], []], tf.int32)], axis=1)
    ids, scores, contributions = model.recommend_indices(model.users(index, request), 5, seen,
                                                         blocked)
    assert _ids(out[F.ITEM_IDS]) == [[f"i{i}" for i in row] for row in ids.numpy()]
    np.testing.assert_allclose(out[F.SCORES], scores.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[F.AGENT_SCORES], contributions.numpy(), rtol=1e-5, atol=1e-6)
    got = loaded.signatures[F.SIGNATURE_SCORE](user_id=tf.constant(["u4"]),
                                               item_ids=tf.constant([["i2", "i9"]]))
    want, _ = model.score_indices(model.users(tf.constant([4])), tf.constant([[2, 9]]),
                                  model.histories.rows(tf.constant([4]))[0])
    np.testing.assert_allclose(got[F.SCORES].numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_a_large_catalogue_exports_its_blockwise_search(in_process, tmp_path, monkeypatch):
    model, small, loaded = in_process
    users = [f"u{i}" for i in range(12)]
    history, exclude = [[""]] * 12, [["i7"]] + [[""]] * 11
    whole = _recommend(loaded, users, 5, history=history, exclude=exclude)
    # 5 users per [users, items] block, as a 6.7M-item catalogue would get at 2**25 cells.
    monkeypatch.setattr(auto_settings, "SCORE_CELLS", model.num_items * 5)
    blockwise = tf.saved_model.load(_export(model, tmp_path / "blockwise"))
    out = _recommend(blockwise, users, 5, history=history, exclude=exclude)
    assert _ids(out[F.ITEM_IDS]) == _ids(whole[F.ITEM_IDS])
    np.testing.assert_allclose(out[F.SCORES], whole[F.SCORES], rtol=1e-5, atol=1e-6)
    assert _has_loop(str(tmp_path / "blockwise")) and not _has_loop(small)


def _has_loop(path) -> bool:
    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    library = proto.meta_graphs[0].graph_def.library.function
    return any("While" in node.op for f in library for node in f.node_def)


@pytest.mark.slow  # a second export: about 25 s on 2 busy cores
def test_saved_model_pb_does_not_grow_with_the_number_of_users(in_process, tmp_path):
    _, small, _ = in_process
    large = _export(build_weights(_fitted(5000)), tmp_path / "large")
    size = {p: os.path.getsize(os.path.join(p, "saved_model.pb")) for p in (small, large)}
    assert abs(size[large] - size[small]) < 0.01 * size[small], size

    def variables(path):
        folder = os.path.join(path, "variables")
        return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))

    assert variables(large) > 5 * variables(small)  # the data lives in variables


def test_export_checks_the_vocabulary_sizes(in_process, tmp_path):
    model, _, _ = in_process
    with pytest.raises(ValueError, match=r"vocabularies \(49 users, 24 items\)"):
        export_serving_model(model, ["u"] * 49, ["i"] * 24, str(tmp_path / "x"))
    assert not os.path.exists(tmp_path / "x")


@pytest.mark.slow
def test_a_fitted_but_never_called_model_exports(tmp_path):
    _export(_fitted(20), tmp_path / "m")


def test_the_export_honours_muted_agents(tmp_path):
    model = build_weights(_fitted(30))
    keep = {"history", "spectral"}
    set_static_gate(model.gate, [float(name in keep) for name in model.agent_names])
    model.mute([name for name in model.agent_names if name not in keep], retrieval=True)
    out = _recommend(tf.saved_model.load(_export(model, tmp_path / "muted")), ["u0", "u1"], 4)
    muted = [i for i, name in enumerate(model.agent_names) if name not in keep]
    assert np.all(out[F.AGENT_SCORES][:, :, muted] == 0)
    assert np.all(np.abs(out[F.AGENT_SCORES]).sum(-1) > 0)
