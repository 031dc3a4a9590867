"""One real trainer run (train_and_export on a small synthetic folder), shared read-only by
the export, training_run, model_card and model_store tests: about a minute, paid once."""

import os

import pytest
import tensorflow as tf

from components.model_layout import EVAL_SUBDIR, SERVING_SUBDIR
from components.trainer.canonical_inputs import inputs_from_canonical
from components.trainer.config import TrainerConfig
from components.trainer.train import train_and_export
from tests.components.trainer import helpers

SERVING_K = 7


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """{"inputs", "card", "model_dir", "run_dir", "serving", "eval"} of one trainer run
    (serving / eval: the loaded Format-Serving / Format-Eval SavedModels)."""
    root = tmp_path_factory.mktemp("trainer_run")
    data, emb = helpers.synthetic_folder(str(root))
    inputs = inputs_from_canonical(data, emb, eval_fraction=0.2)
    model_dir, run_dir = str(root / "model"), str(root / "run")
    card = train_and_export(inputs, model_dir, run_dir, helpers.tiny_model_config(),
                            TrainerConfig(serving_k=SERVING_K))
    return {"inputs": inputs, "card": card, "model_dir": model_dir, "run_dir": run_dir,
            "serving": tf.saved_model.load(os.path.join(model_dir, SERVING_SUBDIR)),
            "eval": tf.saved_model.load(os.path.join(model_dir, EVAL_SUBDIR))}
