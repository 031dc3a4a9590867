"""bench.scale.reexport: a pushed model exported again answers exactly as before."""

import os

import numpy as np
import pytest
import tensorflow as tf

from bench.scale import reexport
from components.model_layout import SERVING_SUBDIR
from components.trainer.canonical_inputs import inputs_from_canonical
from components.trainer.config import TrainerConfig
from components.trainer.train import train_and_export
from tests.components.trainer import helpers


def _recommend(path, users):
    fn = tf.saved_model.load(path).signatures["recommend"]
    blank = tf.constant([[""]] * len(users))
    return fn(user_id=tf.constant(users), k=tf.constant(5), history=blank, exclude=blank)


@pytest.mark.slow  # one tiny training run: about a minute on 2 busy cores
def test_reexport_answers_as_the_pushed_model(tmp_path):
    data, emb = helpers.synthetic_folder(str(tmp_path))
    model_dir = str(tmp_path / "model")
    train_and_export(inputs_from_canonical(data, emb, eval_fraction=0.2), model_dir,
                     str(tmp_path / "run"), helpers.tiny_model_config(), TrainerConfig())
    pushed = os.path.join(model_dir, SERVING_SUBDIR)
    again = reexport.reexport(model_dir, pushed, str(tmp_path / "again" / "1"))
    with open(os.path.join(pushed, "assets", "user_ids.txt"), encoding="utf-8") as f:
        users = [line.strip() for line in f][:8]
    before, after = _recommend(pushed, users), _recommend(again, users)
    np.testing.assert_array_equal(before["item_ids"].numpy(), after["item_ids"].numpy())
    np.testing.assert_allclose(before["scores"].numpy(), after["scores"].numpy(), atol=1e-6)
    np.testing.assert_allclose(before["agent_scores"].numpy(), after["agent_scores"].numpy(),
                               atol=1e-6)


def test_a_saved_model_of_another_model_is_refused(tmp_path, monkeypatch):
    class _Model:
        variables = [tf.Variable(1.0)]
        agents = []

    monkeypatch.setattr(reexport, "_rebuilt", lambda model_dir: _Model())
    saved = tmp_path / "saved"
    module = tf.Module()
    module.model_variables = [tf.Variable(1.0), tf.Variable(2.0)]
    tf.saved_model.save(module, str(saved))
    with pytest.raises(ValueError, match="holds 2 model variables, the model rebuilt from m 1"):
        reexport.reexport("m", str(saved), str(tmp_path / "out"))
