"""The exported SavedModel honours the serving contract (serving/README.md)."""

import glob
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from components.trainer import model_card
from components.trainer.canonical_inputs import inputs_from_canonical
from components.trainer.config import TrainerConfig
from components.trainer.export import EXCLUDED_SCORE, SIGNATURE_RECOMMEND_INCLUDE_SEEN
from components.trainer.train import train_and_export
from rec_model import features as F
from serving import testing as standin
from tests.components.trainer import helpers


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    data, emb = helpers.synthetic_folder(str(root))
    inputs = inputs_from_canonical(data, emb, eval_fraction=0.2)
    model_dir = str(root / "model")
    card = train_and_export(inputs, model_dir, str(root / "run"), helpers.tiny_model_config(),
                            TrainerConfig(serving_k=7))
    loaded = tf.saved_model.load(os.path.join(model_dir, "Format-Serving"))
    return inputs, loaded, card, root


def _recommend(loaded, users, k, history=None, exclude=None, signature=F.SIGNATURE_RECOMMEND):
    pad = [[""]] * len(users)
    out = loaded.signatures[signature](user_id=tf.constant(users), k=tf.constant(k, tf.int32),
                                       history=tf.constant(history or pad), exclude=tf.constant(exclude or pad))
    return {key: value.numpy() for key, value in out.items()}


def _ids(array):
    return [[b.decode() for b in row] for row in array]


def test_signatures_match_the_standin_contract(trained, tmp_path):
    _, loaded, _, _ = trained
    reference = tf.saved_model.load(str(standin.export_standin(tmp_path / "standin", version=1)))
    for name in (F.SIGNATURE_RECOMMEND, F.SIGNATURE_SCORE, F.SIGNATURE_DEFAULT):
        ours, theirs = loaded.signatures[name], reference.signatures[name]
        assert ours.structured_input_signature == theirs.structured_input_signature, name
        assert sorted(ours.structured_outputs) == sorted(theirs.structured_outputs), name
        for key, spec in theirs.structured_outputs.items():
            assert ours.structured_outputs[key].dtype == spec.dtype and ours.structured_outputs[key].shape.rank == spec.shape.rank
    assert loaded.signatures[SIGNATURE_RECOMMEND_INCLUDE_SEEN].structured_input_signature == \
        loaded.signatures[F.SIGNATURE_RECOMMEND].structured_input_signature


def test_recommend_shapes_and_attribution(trained):
    inputs, loaded, _, _ = trained
    out = _recommend(loaded, [inputs.user_ids[0], inputs.user_ids[1]], 5)
    assert out[F.ITEM_IDS].shape == (2, 5) and out[F.SCORES].shape == (2, 5)
    assert out[F.AGENT_SCORES].shape == (2, 5, 5)
    assert [n.decode() for n in out[F.AGENT_NAMES]] == ["cf", "content", "history", "hybrid", "spectral"]
    np.testing.assert_allclose(out[F.AGENT_SCORES].sum(-1), out[F.SCORES], rtol=1e-4, atol=1e-4)
    assert np.all(np.diff(out[F.SCORES], axis=1) <= 1e-6)


def test_seen_items_excluded_unless_include_seen(trained):
    inputs, loaded, _, _ = trained
    user = 0
    seen = {inputs.item_ids[i] for i in inputs.user_histories()[user]}
    n_items = len(inputs.item_ids)
    top = _ids(_recommend(loaded, [inputs.user_ids[user]], n_items - len(seen))[F.ITEM_IDS])[0]
    assert not seen & set(top)
    everything = _recommend(loaded, [inputs.user_ids[user]], n_items, signature=SIGNATURE_RECOMMEND_INCLUDE_SEEN)
    assert seen <= set(_ids(everything[F.ITEM_IDS])[0])
    assert np.all(everything[F.SCORES] > EXCLUDED_SCORE / 2)
    assert set(helpers.COLD_ITEMS) <= set(_ids(everything[F.ITEM_IDS])[0])  # cold items are in the index


def test_exclude_input_is_respected(trained):
    inputs, loaded, _, _ = trained
    user = inputs.user_ids[3]
    first = _ids(_recommend(loaded, [user], 3)[F.ITEM_IDS])[0]
    again = _ids(_recommend(loaded, [user], 3, exclude=[[first[0], ""]])[F.ITEM_IDS])[0]
    assert first[0] not in again and again[:2] == first[1:]


def test_unknown_user_falls_back_to_history_then_popularity(trained):
    inputs, loaded, _, _ = trained
    liked = inputs.item_ids[inputs.user_histories()[0][0]]
    out = _recommend(loaded, ["nobody", "nobody-at-all"], 5, history=[[liked], [""]])
    with_history, cold = _ids(out[F.ITEM_IDS])
    assert liked not in with_history
    assert np.abs(out[F.AGENT_SCORES][0]).sum() > 0  # scored by the agents from the request history
    assert np.all(out[F.AGENT_SCORES][1] == 0)  # popularity: no agent attribution
    counts = inputs.train.item_counts()
    expected = np.sort(np.log1p(counts))[::-1][:5]
    np.testing.assert_allclose(out[F.SCORES][1], expected, rtol=1e-5)
    assert cold[0] == inputs.item_ids[int(np.argmax(counts))]


def test_k_outside_catalogue_is_invalid_argument(trained):
    inputs, loaded, _, _ = trained
    for k in (0, len(inputs.item_ids) + 1):
        with pytest.raises(tf.errors.InvalidArgumentError, match="k must be"):
            _recommend(loaded, [inputs.user_ids[0]], k)


def test_score_agrees_with_recommend_and_masks_unknown_items(trained):
    inputs, loaded, _, _ = trained
    user = inputs.user_ids[2]
    rec = _recommend(loaded, [user], 4)
    items = _ids(rec[F.ITEM_IDS])[0]
    out = loaded.signatures[F.SIGNATURE_SCORE](user_id=tf.constant([user]), item_ids=tf.constant([items + ["unknown", ""]]))
    scores, agents = out[F.SCORES].numpy(), out[F.AGENT_SCORES].numpy()
    assert scores.shape == (1, 6) and agents.shape == (1, 6, 5)
    np.testing.assert_allclose(scores[0, :4], rec[F.SCORES][0], rtol=1e-5)
    assert np.all(scores[0, 4:] == EXCLUDED_SCORE) and np.all(agents[0, 4:] == 0)


def test_serving_default_parses_examples_like_recommend(trained):
    inputs, loaded, _, _ = trained
    user, liked = inputs.user_ids[5], inputs.item_ids[0]
    example = tf.train.Example(features=tf.train.Features(feature={
        F.USER_ID: tf.train.Feature(bytes_list=tf.train.BytesList(value=[user.encode()])),
        F.HISTORY: tf.train.Feature(bytes_list=tf.train.BytesList(value=[liked.encode()]))}))
    out = loaded.signatures[F.SIGNATURE_DEFAULT](examples=tf.constant([example.SerializeToString()]))
    direct = _recommend(loaded, [user], 7, history=[[liked]])
    assert _ids(out[F.ITEM_IDS].numpy()) == _ids(direct[F.ITEM_IDS])
    np.testing.assert_allclose(out[F.SCORES].numpy(), direct[F.SCORES], rtol=1e-5)


def test_model_card_and_tensorboard_logs(trained):
    inputs, _, card, root = trained
    on_disk = model_card.read_model_card(str(root / "model"))
    assert on_disk["agents"] == ["cf", "content", "history", "hybrid", "spectral"]
    assert abs(sum(on_disk["alpha"].values()) - 1.0) < 1e-5
    assert on_disk["counts"]["cold_items"] == len(helpers.COLD_ITEMS)
    assert {"model_recall@10", "model_ndcg@10", "popularity_recall@10"} <= set(on_disk["metrics"]["eval"])
    assert on_disk["data_span"]["min_timestamp"] <= on_disk["data_span"]["max_timestamp"]
    assert on_disk["training"]["seconds_total"] > 0 and on_disk["training"]["workers"] == 1
    assert os.path.isdir(root / "model" / "warm_start")
    tags = set()
    for path in glob.glob(str(root / "run" / "agents" / "train" / "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags |= {value.tag for value in event.summary.value}
    assert {"loss", "loss_cf", "loss_history", "alpha_cf", "alpha_hybrid", "loss_ensemble"} <= tags
    assert glob.glob(str(root / "run" / "eval" / "events.*"))


def test_loads_in_a_fresh_process_with_only_tensorflow(trained):
    _, _, _, root = trained
    code = (
        "import sys, tensorflow as tf\n"
        "m = tf.saved_model.load(sys.argv[1])\n"
        "out = m.signatures['recommend'](user_id=tf.constant(['nobody']), k=tf.constant(3), "
        "history=tf.constant([['']]), exclude=tf.constant([['']]))\n"
        "assert out['item_ids'].shape == (1, 3)\n"
        "bad = [n for n in ('tensorflow_text', 'tensorflow_recommenders', 'keras_hub', 'tensorflow_transform') "
        "if n in sys.modules]\n"
        "assert not bad, bad\n"
        "print('ok')\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    done = subprocess.run([sys.executable, "-c", code, str(root / "model" / "Format-Serving")], env=env,
                          capture_output=True, text=True, timeout=300, cwd="/")
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]
