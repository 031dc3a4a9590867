import numpy as np
import tensorflow as tf

from components.trainer.gradients import gradient_kinds
from rec_model import features as F
from tests.rec_model.synthetic import fitted_model


def test_embedding_gradients_are_indexed_slices():
    model = fitted_model()
    model.set_stage("pairs")
    batch = {F.USER_INDEX: tf.constant([0, 1, 2, 3], tf.int32),
             F.ITEM_INDEX: tf.constant([0, 13, 2, 14], tf.int32),
             F.LOG_SAMPLING_PROBABILITY: tf.constant(np.log([0.1] * 4), tf.float32)}
    kinds = gradient_kinds(model, batch)
    sparse = [name for name, kind in kinds if kind == "IndexedSlices"]
    assert sparse.count("user_embeddings:0") == 2  # CF and hybrid: only the batch's rows
    assert sparse.count("item_embeddings:0") == 2  # gathered for the batch's positives
    dense = {name for name, kind in kinds if kind == "Tensor"}
    assert "log_variance:0" in dense and "user_embeddings:0" not in dense


def test_the_trainer_reports_the_sparse_tables(exported):
    report = exported["card"]["sparse_gradients"]
    assert report["replicas"] == 1
    assert report["sparse_before"].count("user_embeddings:0") == 2
    assert "item_embeddings:0" in report["sparse_before"]
