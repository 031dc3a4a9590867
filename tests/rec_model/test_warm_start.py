import numpy as np
import pytest

from rec_model.multi_agent_model import MultiAgentModel
from rec_model.warm_start import (IncompatibleBaseModel, build_weights, incompatibility,
                                  warm_start)
from tests.rec_model.synthetic import NUM_ITEMS, NUM_USERS, TEXT_DIM, tiny_config

OLD_USERS = [f"u{i}" for i in range(NUM_USERS)]
OLD_ITEMS = [f"i{i}" for i in range(NUM_ITEMS)]


def _agent(model, name):
    return model.agents[model.agent_names.index(name)]


@pytest.fixture(scope="module")
def moved(trained):
    old = trained[0].model
    new_users = ["new-user"] + OLD_USERS[::-1]  # reordered, one new
    new_items = OLD_ITEMS[5:] + ["new-a", "new-b"]  # five dropped, two new
    return old, warm_start(old, OLD_USERS, OLD_ITEMS, new_users, new_items, TEXT_DIM)


def test_known_user_and_item_rows_move_to_their_new_positions(moved):
    old, new = moved
    assert (new.num_users, new.num_items) == (NUM_USERS + 1, NUM_ITEMS - 3)
    for name in ("cf", "hybrid"):
        o, n = _agent(old, name), _agent(new, name)
        np.testing.assert_array_equal(n.user_embeddings.numpy()[1:],
                                      o.user_embeddings.numpy()[::-1])
        np.testing.assert_array_equal(n.item_embeddings.numpy()[:NUM_ITEMS - 5],
                                      o.item_embeddings.numpy()[5:])
    np.testing.assert_array_equal(_agent(new, "cf").item_bias.numpy()[:NUM_ITEMS - 5],
                                  _agent(old, "cf").item_bias.numpy()[5:])


def test_new_rows_keep_a_fresh_initialisation(moved):
    old, new = moved
    fresh = build_weights(MultiAgentModel(old.config, new.num_users, new.num_items, TEXT_DIM))
    for name in ("cf", "hybrid"):
        n, f = _agent(new, name), _agent(fresh, name)
        np.testing.assert_array_equal(n.user_embeddings.numpy()[0], f.user_embeddings.numpy()[0])
        np.testing.assert_array_equal(n.item_embeddings.numpy()[-2:],
                                      f.item_embeddings.numpy()[-2:])
        trained_rows = _agent(old, name).user_embeddings.numpy()
        assert not any(np.allclose(n.user_embeddings.numpy()[0], r) for r in trained_rows)


def test_weights_not_indexed_by_users_or_items_are_copied(moved):
    old, new = moved
    np.testing.assert_array_equal(_agent(new, "content").adapter_out.kernel.numpy(),
                                  _agent(old, "content").adapter_out.kernel.numpy())
    np.testing.assert_array_equal(new.gate.mix.bias.numpy(), old.gate.mix.bias.numpy())
    np.testing.assert_array_equal(new.weighting.log_variance.numpy(),
                                  old.weighting.log_variance.numpy())


def test_incompatible_configs_and_text_sizes_are_rejected(fitted):
    old = fitted[0]
    with pytest.raises(IncompatibleBaseModel, match="embedding_dim changed from 8 to 16"):
        warm_start(old, OLD_USERS, OLD_ITEMS, OLD_USERS, OLD_ITEMS, TEXT_DIM,
                   tiny_config(embedding_dim=16))
    with pytest.raises(IncompatibleBaseModel, match="text_dim 8 -> 5"):
        warm_start(old, OLD_USERS, OLD_ITEMS, OLD_USERS, OLD_ITEMS, 5)
    assert incompatibility(old.config, tiny_config(agents=("cf", "history"))).startswith(
        "agents changed")
    assert incompatibility(old.config, tiny_config(hybrid_cross_layers=1)) is not None
    assert incompatibility(old.config, tiny_config(learning_rate=0.5, neighbours=9)) is None


def test_build_weights_creates_every_weight():
    model = build_weights(MultiAgentModel(tiny_config(), 4, 6, 3))
    assert _agent(model, "content").adapter_out.built and _agent(model, "hybrid").user_out.built
    assert model.gate.mix.built
