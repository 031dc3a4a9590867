"""Shared-storage checks and copies for cluster launchers."""

import os

import pytest
import tensorflow as tf

from components.trainer import shared_storage


@pytest.mark.parametrize("path, shared", [
    ("gs://bucket/root", True), ("s3://b/x", True), ("hdfs://nn:8020/x", True),
    ("/pipeline/root", False), ("out/root", False), ("file:///tmp/x", False),
    ("ram://x", False), ("", False),
])
def test_is_shared(path, shared):
    assert shared_storage.is_shared(path) is shared


def test_require_shared_names_every_local_path():
    with pytest.raises(ValueError) as err:
        shared_storage.require_shared({"Model folder": "/tmp/model",
                                       "ModelRun folder": "gs://b/run", "base model": None,
                                       "TransformGraph": "out/graph"}, "tfjob")
    message = str(err.value)
    assert "'tfjob'" in message and "Model folder '/tmp/model'" in message
    assert "TransformGraph 'out/graph'" in message and "gs://b/run" not in message
    assert "gs://" in message  # says what to use instead
    shared_storage.require_shared({"Model folder": "gs://b/m", "base model": ""}, "vertex")


def test_copy_tree_round_trips_through_another_file_system(tmp_path):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "sub" / "b.bin").write_bytes(b"\x00\x01")
    remote = "ram://copy-tree-test/inputs"
    assert shared_storage.copy_tree(str(source), remote) == 2
    back = tmp_path / "back"
    shared_storage.copy_tree(remote, str(back))
    assert (back / "a.txt").read_text() == "a"
    assert (back / "sub" / "b.bin").read_bytes() == b"\x00\x01"
    shared_storage.remove_tree(remote)
    assert not tf.io.gfile.exists(remote)
    shared_storage.remove_tree(remote)  # already gone: fine
    assert os.path.isdir(back)
