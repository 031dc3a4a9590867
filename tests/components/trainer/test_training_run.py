import glob
import os
import types

import numpy as np
import pytest
import tensorflow as tf

from components.trainer import training_run
from components.trainer.training_run import TrainingJob, check_finite_scores, weights_digest
from rec_model import recency
from rec_model.finite_guard import NonFiniteTrainingError
from tests.rec_model.synthetic import fitted_model, make_data


@pytest.fixture
def model_and_inputs():
    data, text = make_data()
    return fitted_model(data=data, text=text), types.SimpleNamespace(train=data)


def test_check_finite_scores_passes_a_finite_model(model_and_inputs):
    check_finite_scores(*model_and_inputs)


def test_check_finite_scores_raises_on_a_nan_weight(model_and_inputs):
    model, inputs = model_and_inputs
    cf = model.agents[model.agent_names.index("cf")]
    table = cf.serving_items.numpy()
    table[:, 0] = np.nan
    cf.serving_items.assign(table)
    with pytest.raises(NonFiniteTrainingError) as err:
        check_finite_scores(model, inputs)
    assert err.value.stage == "export" and "score_cf" in err.value.names


def test_weights_digest_changes_with_any_weight(model_and_inputs):
    model, _ = model_and_inputs
    before = weights_digest(model)
    assert weights_digest(model) == before
    model.gate.log_scale.assign_add(tf.ones_like(model.gate.log_scale))
    assert weights_digest(model) != before


def test_job_round_trips_through_json():
    job = TrainingJob("in", "model", "log", "backup", "{}", fault={"worker": 1, "stage": "pairs"})
    assert TrainingJob.from_json(job.to_json()) == job
    info = training_run.task_info(None)
    assert info == {"task_type": None, "task_id": 0, "rank": 0, "is_chief": True, "workers": 1}


def test_the_run_writes_both_models_the_card_and_tensorboard_logs(exported):
    model_dir, run_dir = exported["model_dir"], exported["run_dir"]
    for folder in ("Format-Serving", "Format-Eval"):
        assert os.path.isfile(os.path.join(model_dir, folder, "saved_model.pb"))
    assert os.path.isdir(os.path.join(model_dir, "warm_start"))
    tags = set()
    for path in glob.glob(os.path.join(run_dir, "pairs", "train", "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags |= {value.tag for value in event.summary.value}
    assert {"loss", "loss_cf", "loss_hybrid", "alpha_cf", "loss_pairs_ensemble"} <= tags
    assert glob.glob(os.path.join(run_dir, "gate", "train", "events.*"))
    assert glob.glob(os.path.join(run_dir, "eval", "events.*"))
    assert not os.path.exists(os.path.join(run_dir, ".trainer_work"))  # removed on success


def test_an_eval_split_in_time_has_the_recency_weights_chosen_and_reported(exported):
    inputs, report = exported["inputs"], exported["card"]["settings"]["recency"]
    assert recency.split_in_time(inputs.train, inputs.eval)  # each user's last rows held out
    assert report["half_life"] in (0.0, *recency.HALF_LIVES)
    assert "validation_ndcg@20_half_life=0_boost=0" in report  # compared, not defaulted


def test_warm_start_from_the_run_keeps_known_rows(exported):
    inputs = exported["inputs"]
    from components.trainer import model_store
    from components.trainer.config import TrainerConfig
    from tests.components.trainer import helpers

    config = helpers.tiny_model_config()
    job = TrainingJob("", "", "", "", config.to_json(), base_model_dir=exported["model_dir"])
    initial, kept = training_run._initial_model(job, TrainerConfig(), inputs, config)
    old, _, _ = model_store.load_model_state(exported["model_dir"])
    assert kept["users_kept"] == len(inputs.user_ids) and kept["items_new"] == 0
    np.testing.assert_array_equal(initial.agents[0].user_embeddings.numpy(),
                                  old.agents[0].user_embeddings.numpy())
    changed = helpers.tiny_model_config(agents=("cf", "history"))
    job = TrainingJob("", "", "", "", changed.to_json(), base_model_dir=exported["model_dir"])
    initial, warm = training_run._initial_model(job, TrainerConfig(), inputs, changed)
    assert initial is None and "agents changed" in warm["skipped"]
    assert training_run._initial_model(job, TrainerConfig(warm_start=False), inputs,
                                       changed) == (None, None)
