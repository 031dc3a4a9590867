import numpy as np
import pytest

from rec_model.trainer import train_multi_agent
from rec_model.warm_start import IncompatibleBaseModel, incompatibility, warm_start
from tests.rec_model.synthetic import NUM_ITEMS, NUM_USERS, make_data, small_config


def test_known_rows_are_kept_and_new_rows_are_fresh():
    data, text = make_data()
    old = train_multi_agent(small_config(epochs=1, gate_epochs=0), data, text).model
    old_users = [f"u{i}" for i in range(NUM_USERS)]
    old_items = [f"i{i}" for i in range(NUM_ITEMS)]
    new_users = ["new_user"] + old_users[::-1]  # reordered, one new
    new_items = old_items[5:] + ["new_item_a", "new_item_b"]  # five dropped, two new
    new_text = np.vstack([text[5:], text[:2]])
    new = warm_start(old, old_users, old_items, new_users, new_items, item_text_embeddings=new_text)

    assert new.num_users == NUM_USERS + 1 and new.num_items == NUM_ITEMS - 3
    np.testing.assert_allclose(new.cf_agent.user_embeddings.numpy()[1], old.cf_agent.user_embeddings.numpy()[NUM_USERS - 1])
    np.testing.assert_allclose(new.cf_agent.item_embeddings.numpy()[0], old.cf_agent.item_embeddings.numpy()[5])
    w_old, w_new = old.history_agent.base.numpy(), new.history_agent.base.numpy()
    np.testing.assert_allclose(w_new[:NUM_ITEMS - 5, :NUM_ITEMS - 5], w_old[5:, 5:])
    assert np.all(w_new[-2:] == 0)  # new items start fresh
    assert new.item_known.numpy()[-1] == 0 and new.item_known.numpy()[0] == 1
    np.testing.assert_allclose(new.text_embeddings.numpy(), new_text)
    # non-indexed weights (content adapter) are copied as they are.
    np.testing.assert_allclose(new.content_agent.adapter_out.kernel.numpy(), old.content_agent.adapter_out.kernel.numpy())


def test_changing_dimensions_is_rejected():
    data, text = make_data()
    old = train_multi_agent(small_config(epochs=1, gate_epochs=0), data, text).model
    ids = [str(i) for i in range(NUM_USERS)], [str(i) for i in range(NUM_ITEMS)]
    with pytest.raises(IncompatibleBaseModel, match=r"same agents.*embedding_dim changed from 8 to 16"):
        warm_start(old, *ids, *ids, config=small_config(embedding_dim=16))
    assert incompatibility(old.config, small_config(agents=("cf", "history"))).startswith("agents changed")
    assert incompatibility(old.config, small_config(learning_rate=0.5)) is None
