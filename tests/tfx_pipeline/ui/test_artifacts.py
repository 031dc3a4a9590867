"""Tests of tfx_pipeline/ui/artifacts.py: files inside artifacts."""

import json
import math

from components.trainer.tensorboard_logs import write_scalars_to
from tfx_pipeline.ui import artifacts


def test_tensorboard_scalars_per_run_folder(tmp_path):
    for step in range(3):
        write_scalars_to(
            str(tmp_path / "agents" / "train"), {"loss": 2.0 - step, "alpha_cf": 0.5}, step
        )
    write_scalars_to(str(tmp_path / "eval"), {"model_ndcg@10": 0.3}, 3)
    found = artifacts.scalars(str(tmp_path))
    assert found["agents/train"]["loss"] == [[0, 2.0], [1, 1.0], [2, 0.0]]
    assert found["agents/train"]["alpha_cf"] == [[0, 0.5], [1, 0.5], [2, 0.5]]
    assert [s for s, _ in found["eval"]["model_ndcg@10"]] == [3]
    assert artifacts.scalars(str(tmp_path / "missing")) == {}


def test_a_record_cut_short_by_a_live_writer_is_skipped(tmp_path):
    write_scalars_to(str(tmp_path), {"loss": 1.0}, 0)
    [events] = list(tmp_path.glob("*tfevents*"))
    events.write_bytes(
        events.read_bytes() + b"\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00partial"
    )
    assert artifacts.scalars(str(tmp_path))["."]["loss"] == [[0, 1.0]]


def test_model_card_with_nan_and_missing_files(tmp_path):
    (tmp_path / "model_card.json").write_text(json.dumps({"alpha": {"cf": float("nan")}}))
    assert math.isnan(artifacts.model_card(str(tmp_path))["alpha"]["cf"])
    assert artifacts.model_card(str(tmp_path / "nope")) is None
    (tmp_path / "metrics.json").write_text("not json")
    assert artifacts.evaluation(str(tmp_path)) is None
    assert artifacts.model_card("") is None


def test_transform_vocabularies(tmp_path):
    assets = tmp_path / "transform_fn" / "assets"
    assets.mkdir(parents=True)
    (assets / "item_id_counts").write_text("12 i3\n5 item with space\nbad\n")
    (assets / "user_id_vocab").write_text("u7\nu1\nu2\n")
    assert artifacts.train_counts(str(tmp_path)) == {"i3": 12, "item with space": 5}
    assert artifacts.known_users(str(tmp_path), limit=2) == ["u7", "u1"]
    assert artifacts.train_counts("") == {} and artifacts.known_users(str(tmp_path / "x")) == []
