import numpy as np
import pytest
import tensorflow as tf

from rec_model import features as F
from rec_model.config import ModelConfig
from rec_model.multi_agent_model import MultiAgentModel
from rec_model.trainer import train_multi_agent
from tests.rec_model.synthetic import NUM_ITEMS, NUM_USERS, TEXT_DIM, make_data, small_config


def _model(config):
    data, text = make_data()
    model = MultiAgentModel(config, NUM_USERS, NUM_ITEMS, TEXT_DIM, text)
    model.set_item_statistics(data.item_counts(), data.item_mean_time())
    model.history_agent.set_base(model.history_agent.closed_form(data.history_matrix(), config.history_l2))
    return model, data


def _batch(data):
    return {F.USER_INDEX: tf.range(NUM_USERS, dtype=tf.int64), F.HISTORY_WEIGHTS: tf.constant(data.history_matrix())}


def test_get_config_round_trip():
    model, _ = _model(small_config())
    clone = MultiAgentModel.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.config == model.config


def test_constructor_validates_text_embeddings():
    with pytest.raises(ValueError, match="item_text_embeddings shape"):
        MultiAgentModel(small_config(), NUM_USERS, NUM_ITEMS, TEXT_DIM, np.zeros((3, TEXT_DIM)))


@pytest.mark.parametrize("overrides", [{}, {"negatives": "in_batch", "alpha_mode": "softmax"}])
def test_compute_loss_is_finite_and_decreases(overrides):
    model, data = _model(small_config(**overrides))
    batch = _batch(data)
    optimizer = tf.keras.optimizers.Adam(0.02)
    losses = []
    for _ in range(15):
        tf.random.set_seed(1)  # same dropout mask each step, so losses are comparable
        with tf.GradientTape() as tape:
            loss = model.compute_loss(batch, training=True)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients([(g, v) for g, v in zip(grads, model.trainable_variables) if g is not None])
        losses.append(float(loss))
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("mode", ["uncertainty", "softmax"])
def test_alpha_sums_to_one_and_is_logged_per_epoch(mode):
    data, text = make_data()
    result = train_multi_agent(small_config(alpha_mode=mode, alpha_floor=0.1), data, text)
    alpha = result.final_alpha
    assert set(alpha) == set(ModelConfig().agents)
    assert sum(alpha.values()) == pytest.approx(1.0, abs=1e-5)
    if mode == "softmax":
        assert min(alpha.values()) >= 0.1 - 1e-6
    agent_epochs = [row for row in result.epochs if row["stage"] == "agents"]
    assert len(agent_epochs) == 3 and all("alpha_cf" in row and "loss_history" in row for row in agent_epochs)
    assert any(row["stage"] == "gate" for row in result.epochs)


def test_scores_have_per_agent_attribution_summing_to_the_ensemble():
    model, data = _model(small_config())
    out = model.score_items(tf.range(NUM_USERS, dtype=tf.int64), tf.constant(data.history_matrix()))
    assert out["ensemble"].shape == (NUM_USERS, NUM_ITEMS)
    assert out["contributions"].shape == (NUM_USERS, NUM_ITEMS, len(ModelConfig().agents))
    np.testing.assert_allclose(tf.reduce_sum(out["contributions"], 2).numpy(), out["ensemble"].numpy(), rtol=1e-4, atol=1e-4)


def test_cold_items_are_ranked_by_the_content_agent():
    data, text = make_data()
    cold = np.array([5, 30])  # one item per community, never interacted with
    train = data.subset(~np.isin(data.item_index, cold))
    result = train_multi_agent(small_config(epochs=25, gate_epochs=0, agents=("content",), learning_rate=0.02), train, text)
    scores = result.model.score_items(tf.range(NUM_USERS, dtype=tf.int64), tf.constant(train.history_matrix()))["ensemble"].numpy()
    # community-0 users prefer cold item 5 over cold item 30, and the other way round.
    assert (scores[:25, 5] > scores[:25, 30]).mean() > 0.8
    assert (scores[25:, 30] > scores[25:, 5]).mean() > 0.8


def test_ensemble_ranks_items_without_interactions_by_content_and_cold_boost():
    model, data = _model(small_config())
    counts = data.item_counts()
    counts[[5, 30]] = 0  # pretend items 5 and 30 are new
    model.set_item_statistics(counts, data.item_mean_time())
    users, history = tf.range(NUM_USERS, dtype=tf.int64), tf.constant(data.history_matrix())
    model.gate.cold_boost.assign(50.0)
    top = np.argsort(-model.score_items(users, history)["ensemble"].numpy(), axis=1)[:, :2]
    assert all(set(row) == {5, 30} for row in top)


def test_items_first_seen_after_the_users_history_are_ranked_last():
    model, data = _model(small_config(availability_days=7.0))
    first = np.zeros(NUM_ITEMS, np.float32)
    first[5] = 100.0  # item 5 appeared long after every other item
    model.set_item_statistics(data.item_counts(), data.item_mean_time(), first)
    history = np.zeros((2, NUM_ITEMS), np.float32)
    history[0, [0, 1]] = 1.0  # user 0 only consumed items from day 0
    history[1, [0, 5]] = 1.0  # user 1 was still active when item 5 appeared
    mask = model.unavailable(tf.constant(history)).numpy()
    assert mask[0, 5] and not mask[0, 6] and not mask[1].any()
    scores = model.score_items(tf.constant([0, 1], tf.int64), tf.constant(history))["ensemble"].numpy()
    assert scores[0, 5] < np.delete(scores[0], 5).min()
    assert not MultiAgentModel(small_config(availability_days=-1.0), NUM_USERS, NUM_ITEMS, TEXT_DIM).unavailable(tf.constant(history))


def test_closed_form_agents_score_cold_items_from_imputed_columns():
    data, text = make_data()
    keep = data.item_index != 3  # item 3 (community 0) has no interactions
    result = train_multi_agent(small_config(epochs=1, gate_epochs=0), data.subset(keep), text)
    model = result.model
    assert model.imputed_agents() == [True, False, True, False, True]
    base = model.history_agent.base.numpy()
    assert np.abs(base[:, 3]).sum() > 0  # imputed column
    user_scores = model.cf_agent.user_base.numpy()
    assert user_scores[:25, 3].mean() > user_scores[25:, 3].mean()  # community 0 users score it higher
    spectral = model.spectral_agent.filter.numpy()
    assert np.abs(spectral[:, 3]).sum() > 0 and spectral[:20, 3].mean() > spectral[20:, 3].mean()  # imputed from text
