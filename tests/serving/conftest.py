"""Shared fixtures: stand-in SavedModels (exported once per session) and an in-process
server.
"""

import shutil

import numpy as np
import pytest

from rec_model import features as F


@pytest.fixture(scope="session")
def model_pool(tmp_path_factory):
    """Two stand-in versions (seeds 0 and 1) exported once; tests copy them where needed."""
    from serving.testing import export_standin

    pool = tmp_path_factory.mktemp("pool")
    export_standin(pool / "a", version=1, seed=0)
    export_standin(pool / "b", version=1, seed=1)
    return {"v1": pool / "a" / "1", "v2": pool / "b" / "1"}


def install_version(pool_dir, base, version):
    """Copies a pooled version into `base/<version>` atomically (temp copy + rename)."""
    tmp = base / f".incoming-{version}"
    shutil.copytree(pool_dir, tmp)
    tmp.rename(base / str(version))
    return base / str(version)


@pytest.fixture(scope="session")
def base_path(tmp_path_factory, model_pool):
    """A model base path holding version 1 only (shared: never modify it)."""
    base = tmp_path_factory.mktemp("models") / "m"
    base.mkdir()
    install_version(model_pool["v1"], base, 1)
    return base


@pytest.fixture(scope="session")
def reference(model_pool):
    """The version-1 SavedModel loaded in process: the numbers the server must reproduce."""
    import tensorflow as tf

    return tf.saved_model.load(str(model_pool["v1"]))


def call_reference(reference, signature, **inputs):
    import tensorflow as tf

    out = reference.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
    return {k: v.numpy() for k, v in out.items()}


def recommend_inputs(users=("u0", "u3"), k=5, history=None, exclude=None):
    blank = [[""] for _ in users]
    return {F.USER_ID: np.array([u.encode() for u in users], dtype=object), F.K: np.int32(k),
            F.HISTORY: np.array([[h.encode() for h in row] for row in (history or blank)],
                                dtype=object),
            F.EXCLUDE: np.array([[h.encode() for h in row] for row in (exclude or blank)],
                                dtype=object)}


def free_port():
    import portpicker

    return portpicker.pick_unused_port()


@pytest.fixture(scope="module")
def server(base_path, tmp_path_factory):
    """An in-process ModelServer on free ports serving `base_path` as model "m", logging
    requests.
    """
    from serving.server import ModelServer
    from serving.server_options import ServerOptions

    log_dir = tmp_path_factory.mktemp("requests")
    feedback_dir = tmp_path_factory.mktemp("feedback")
    options = ServerOptions(port=free_port(), rest_api_port=free_port(), model_name="m",
                            model_base_path=str(base_path), file_system_poll_wait_seconds=0,
                            request_log_dir=str(log_dir), max_request_bytes=1 << 20,
                            feedback_log_dir=str(feedback_dir))
    with ModelServer(options) as running:
        running.log_dir = log_dir
        running.feedback_dir = feedback_dir
        yield running
