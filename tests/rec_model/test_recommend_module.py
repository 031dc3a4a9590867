import numpy as np
import pytest
import tensorflow as tf

from rec_model.recommend_module import RecommendModule
from rec_model.trainer import train_multi_agent
from tests.rec_model.synthetic import NUM_ITEMS, NUM_USERS, make_data, small_config

USERS = [f"u{i}" for i in range(NUM_USERS)]
ITEMS = [f"i{i}" for i in range(NUM_ITEMS)]


@pytest.fixture(scope="module")
def module():
    data, text = make_data()
    model = train_multi_agent(small_config(), data, text).model
    histories = [data.item_index[data.user_index == u].tolist() for u in range(NUM_USERS)]
    return RecommendModule(model, USERS, ITEMS, histories), histories


def _call(module, users, k=5, history=None, exclude=None):
    n = len(users)
    history = tf.constant(history if history is not None else [[""]] * n)
    exclude = tf.constant(exclude if exclude is not None else [[""]] * n)
    return module.recommend(tf.constant(users), tf.constant(k, tf.int32), history, exclude)


def test_top_k_with_agent_attribution_shapes(module):
    mod, histories = module
    out = _call(mod, ["u0", "u30"], k=5)
    assert out["item_ids"].shape == (2, 5) and out["scores"].shape == (2, 5)
    assert out["agent_scores"].shape == (2, 5, 5)
    assert [n.decode() for n in out["agent_names"].numpy()] == ["cf", "content", "history", "hybrid", "spectral"]
    np.testing.assert_allclose(out["agent_scores"].numpy().sum(-1), out["scores"].numpy(), rtol=1e-4, atol=1e-4)
    recommended = {int(i.decode()[1:]) for i in out["item_ids"].numpy()[0]}
    assert not recommended & set(histories[0])  # seen items are excluded
    scores = out["scores"].numpy()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_exclude_and_k_larger_than_catalogue(module):
    mod, _ = module
    out = _call(mod, ["u0"], k=NUM_ITEMS + 10, exclude=[["i1", "i2", ""]])
    assert out["item_ids"].shape == (1, NUM_ITEMS)
    top = [i.decode() for i, s in zip(out["item_ids"].numpy()[0], out["scores"].numpy()[0]) if s > -1e8]
    assert "i1" not in top and "i2" not in top


def test_unknown_user_falls_back_to_history_then_popularity(module):
    mod, _ = module
    community1 = [f"i{i}" for i in range(20, 26)]
    out = _call(mod, ["stranger", "nobody"], k=5, history=[community1, [""] * 6])
    with_history = [int(i.decode()[1:]) for i in out["item_ids"].numpy()[0]]
    assert sum(i >= 20 for i in with_history) >= 4  # recommendations follow the request history
    assert not set(with_history) & set(range(20, 26))
    # no user, no history: popularity order and zero attribution.
    counts = np.bincount(make_data()[0].item_index, minlength=NUM_ITEMS)
    popular = [int(i.decode()[1:]) for i in out["item_ids"].numpy()[1]]
    assert [counts[i] for i in popular] == sorted(counts, reverse=True)[:5]
    assert np.all(out["agent_scores"].numpy()[1] == 0)


def test_saved_model_signature(module, tmp_path):
    mod, _ = module
    mod.save(str(tmp_path / "m"))
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    fn = loaded.signatures["recommend"]
    out = fn(user_id=tf.constant(["u1"]), k=tf.constant(3), history=tf.constant([[""]]), exclude=tf.constant([[""]]))
    assert out["item_ids"].shape == (1, 3) and out["agent_scores"].shape == (1, 3, 5)
