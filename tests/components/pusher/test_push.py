import os

import pytest

from components.pusher import push
from components.pusher.config import PusherConfig


def _saved_model(path):
    os.makedirs(os.path.join(path, "variables"))
    for name, text in (("saved_model.pb", "pb"), ("variables/variables.index", "idx"),
                       ("fingerprint.pb", "f")):
        with open(os.path.join(path, name), "w") as f:
            f.write(text)
    return str(path)


def test_push_writes_a_complete_version_and_no_temp_dir(tmp_path):
    src = _saved_model(tmp_path / "src")
    version, dest, deleted = push.push_saved_model(src, str(tmp_path / "serving"), "m",
                                                   clock=lambda: 1000.9)
    assert version == 1000 and dest == str(tmp_path / "serving" / "m" / "1000") and deleted == []
    with open(os.path.join(dest, "variables", "variables.index")) as f:
        assert f.read() == "idx"
    assert sorted(os.listdir(tmp_path / "serving" / "m")) == ["1000"]


def test_versions_strictly_increase_even_within_one_second(tmp_path):
    src = _saved_model(tmp_path / "src")
    versions = [push.push_saved_model(src, str(tmp_path), "m", keep_last_n=0, clock=lambda: 500)[0]
                for _ in range(3)]
    assert versions == [500, 501, 502]
    # A clock behind the newest version (e.g. versions pushed by another machine) still moves up.
    assert push.push_saved_model(src, str(tmp_path), "m", keep_last_n=0,
                                 clock=lambda: 10)[0] == 503


def test_keep_last_n_prunes_old_versions_but_ignores_other_folders(tmp_path):
    src = _saved_model(tmp_path / "src")
    base = tmp_path / "m"
    os.makedirs(base / ".tmp-7")  # a stale temp dir of another version and a non-version folder
    os.makedirs(base / "notes")
    for t in (100, 200, 300, 400):
        _, _, deleted = push.push_saved_model(src, str(tmp_path), "m", keep_last_n=2,
                                              clock=lambda t=t: t)
    assert deleted == [200]
    assert push.existing_versions(str(base)) == [300, 400]
    assert {".tmp-7", "notes"} <= set(os.listdir(base))


def test_copy_goes_to_a_hidden_sibling_then_is_renamed(tmp_path, monkeypatch):
    src = _saved_model(tmp_path / "src")
    seen = []
    real = push._copy_tree

    def spy(source, dst):
        real(source, dst)
        seen.append((os.path.basename(dst), os.path.exists(tmp_path / "m" / "9")))

    monkeypatch.setattr(push, "_copy_tree", spy)
    push.push_saved_model(src, str(tmp_path), "m", clock=lambda: 9)
    assert seen == [(".tmp-9", False)]  # fully copied while the version folder did not exist yet


def test_failed_copy_leaves_no_version_and_no_temp_dir(tmp_path, monkeypatch):
    src = _saved_model(tmp_path / "src")

    def broken(source, dst):
        os.makedirs(dst)
        raise OSError("disk full")

    monkeypatch.setattr(push, "_copy_tree", broken)
    with pytest.raises(OSError, match="disk full"):
        push.push_saved_model(src, str(tmp_path), "m", clock=lambda: 5)
    assert os.listdir(tmp_path / "m") == []
    with pytest.raises(FileNotFoundError, match="no saved_model.pb"):
        push.push_saved_model(str(tmp_path / "missing"), str(tmp_path), "m")


def test_next_version_and_existing_versions(tmp_path):
    assert push.next_version([], 12.7) == 12
    assert push.next_version([5, 40], 12) == 41
    assert push.existing_versions(str(tmp_path / "nope")) == []


@pytest.mark.parametrize("kwargs", [dict(serving_dir=""), dict(serving_dir="/x", model_name="a/b"),
                                    dict(serving_dir="/x", keep_last_n=-1)])
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        PusherConfig(**kwargs)
