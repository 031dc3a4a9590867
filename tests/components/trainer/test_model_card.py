import types

import numpy as np
import pytest

from components.trainer import model_card
from rec_model import features as F
from rec_model.interactions import Interactions
from rec_model.trainer import LAST_PASS_STAGE
from tests.rec_model.synthetic import fitted_model, make_data


@pytest.fixture(scope="module")
def split_inputs():
    data, text = make_data()
    train, held = data.split_per_user(0.34, seed=0)
    inputs = types.SimpleNamespace(train=train, eval=held)
    return fitted_model(data=train, text=text), inputs


def test_eval_metrics_prefix_model_and_popularity_and_share_agents(split_inputs):
    model, inputs = split_inputs
    out = model_card.eval_metrics(model, inputs, k=5, max_users=1000)
    for key in ("model_recall@5", "model_ndcg@5", "model_recall@5_ci95", "popularity_recall@5",
                "popularity_ndcg@5_ci95"):
        assert np.isfinite(out[key]) and 0 <= out[key] or key.endswith("ci95"), key
    assert out["model_users"] == out["model_users_total"] == len(np.unique(inputs.eval.user_index))
    shares = {k[len("agent_share_"):]: v for k, v in out.items() if k.startswith("agent_share_")}
    assert list(shares) == model.agent_names and sum(shares.values()) == pytest.approx(1.0)
    assert model_card.eval_metrics(model, inputs, k=5, max_users=3)["model_users"] == 3


def test_eval_metrics_without_held_out_pairs_are_empty(split_inputs):
    model, inputs = split_inputs
    empty = Interactions(np.zeros(0, int), np.zeros(0, int), model.num_users, model.num_items)
    assert model_card.eval_metrics(model, types.SimpleNamespace(train=inputs.train,
                                                                eval=empty)) == {}


def test_card_round_trips_numpy_values(tmp_path):
    card = {"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(3), "d": {"e": [1, "x"]}}
    model_card.write_model_card(str(tmp_path), card)
    assert model_card.read_model_card(str(tmp_path)) == {"a": 0.5, "b": 3, "c": [0, 1, 2],
                                                         "d": {"e": [1, "x"]}}
    with pytest.raises(TypeError, match="object is not JSON-serialisable"):
        model_card.write_model_card(str(tmp_path), {"x": object()})


def test_signature_summary_names_every_signature():
    assert set(model_card.signature_summary()) == {
        F.SIGNATURE_RECOMMEND, F.SIGNATURE_RECOMMEND_INCLUDE_SEEN, F.SIGNATURE_SCORE,
        F.SIGNATURE_DEFAULT}


def test_the_trainer_writes_a_complete_card(exported):
    card, inputs = exported["card"], exported["inputs"]
    on_disk = model_card.read_model_card(exported["model_dir"])
    assert on_disk["agents"] == card["agents"] == ["cf", "content", "history", "spectral",
                                                  "hybrid"]
    assert sum(on_disk["alpha"].values()) == pytest.approx(1.0, abs=1e-5)
    assert on_disk["counts"]["cold_items"] == 2
    assert {"model_recall@10", "model_ndcg@10", "popularity_recall@10",
            "agent_share_history"} <= set(on_disk["metrics"]["eval"])
    assert set(on_disk["metrics"]["last_epoch"]) == {"pairs", "gate", LAST_PASS_STAGE}
    assert on_disk["settings"]["history"]["neighbours"] == 4
    assert "static" in on_disk["gate"]
    assert on_disk["serving_model"]["interactions"] == inputs.train.size + inputs.eval.size
    assert on_disk["eval_model"]["interactions"] == inputs.train.size
    assert on_disk["training"]["workers"] == 1 and on_disk["training"]["restarts"] == 0
    assert on_disk["warm_start"] is None
    assert on_disk["model_config"]["neighbours"] == 4
