import numpy as np
import tensorflow as tf

from rec_model.multi_agent_model import MultiAgentModel
from tests.rec_model.synthetic import COLD_ITEMS, ragged, tiny_config


def _hybrid(model):
    return model.agents[model.agent_names.index("hybrid")]


def test_peers_are_the_gradient_trained_factor_agents_before_it():
    full = MultiAgentModel(tiny_config(), 5, 6, 4)
    assert [p.name for p in _hybrid(full).peers] == ["cf", "content"]
    only_cf = MultiAgentModel(tiny_config(agents=("cf", "spectral", "hybrid")), 5, 6, 4)
    assert [p.name for p in _hybrid(only_cf).peers] == ["cf"]
    alone = MultiAgentModel(tiny_config(agents=("hybrid",)), 5, 6, 4)
    assert _hybrid(alone).peers == []


def test_user_state_reads_the_peers_states_without_gradient(fitted):
    model, _, _ = fitted
    hybrid = _hybrid(model)
    users = model.users(tf.constant([0, 1], tf.int32))
    states = model.states(users)
    base = hybrid.user_state(users, states).numpy()
    changed = dict(states, cf=states["cf"] + 1.0)
    assert not np.allclose(hybrid.user_state(users, changed).numpy(), base)
    cf = model.agents[model.agent_names.index("cf")]
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(hybrid.user_state(users, model.states(users)))
    assert tape.gradient(out, cf.user_embeddings) is None
    assert base.shape == (2, model.config.embedding_dim)


def test_unknown_users_use_no_own_row(fitted):
    model, _, _ = fitted
    hybrid = _hybrid(model)
    users = model.users(tf.constant([-1], tf.int32), request_items=ragged([[0]]))
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(hybrid.user_state(users, model.states(users)))
    grad = tape.gradient(out, hybrid.user_embeddings)
    assert grad is None or np.allclose(tf.convert_to_tensor(grad).numpy(), 0.0)


def test_serving_table_is_the_item_tower_with_cold_rows_imputed(fitted):
    model, _, _ = fitted
    hybrid = _hybrid(model)
    table = hybrid.serving_items.numpy()
    warm = np.array([i for i in range(model.num_items) if i not in COLD_ITEMS])
    tower = hybrid.item_vectors(tf.constant(warm)).numpy()
    np.testing.assert_allclose(table[warm], tower, rtol=1e-4, atol=1e-5)
    assert np.all(np.isfinite(table))
