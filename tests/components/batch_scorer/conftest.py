"""Shared fixtures: a stand-in SavedModel (serving contract) and small data folders."""

import os

import pytest

from tests.components.testdata import write_small_folder


@pytest.fixture(scope="package")
def standin_base(tmp_path_factory):
    """TF Serving base path with versions 1 and 2 of the stand-in (50 items i0..i49, users
    u0..u19)."""
    from serving.testing import export_standin

    base = tmp_path_factory.mktemp("model")
    export_standin(base, version=1, seed=1)
    export_standin(base, version=2, seed=2)
    return str(base)


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory):
    """Canonical folder: users u0..u11, each with 20 interactions over items i0..i19."""
    return write_small_folder(str(tmp_path_factory.mktemp("data")), bad_rows=())


def write_examples(path, split_rows):
    """An Examples artifact folder: {split: [(user, item), ...]} ->
    Split-<split>/data_tfrecord-0.gz."""
    import tensorflow as tf

    from components.example_gen.beam_ingest import interaction_to_example
    from rec_model.data.canonical import Interaction

    for split, rows in split_rows.items():
        os.makedirs(os.path.join(path, f"Split-{split}"), exist_ok=True)
        with tf.io.TFRecordWriter(os.path.join(path, f"Split-{split}", "data_tfrecord-0.gz"),
                                  "GZIP") as w:
            for user, item in rows:
                w.write(interaction_to_example(Interaction(user, item, 1_700_000_000, 1.0)))
    return str(path)
