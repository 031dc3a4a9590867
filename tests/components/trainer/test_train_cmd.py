"""`recsys train` (tfx_pipeline/cli/train_cmd.py) on a small canonical folder."""

import json
import os

import pytest

from components.trainer import model_card
from tests.components.trainer import helpers
from tfx_pipeline.cli import main


def _args(tmp_path):
    data, emb = helpers.synthetic_folder(str(tmp_path))
    config = tmp_path / "model.json"
    config.write_text(json.dumps({"embedding_dim": 8, "batch_size": 16, "gate_epochs": 1,
                                  "history_l2": 5.0, "neighbours": 4, "spectral_rank": 4,
                                  "retrieval_candidates": 20}))
    return ["train", "--data", data, "--embeddings", emb, "--model-config", str(config),
            "--epochs", "1"]


@pytest.mark.slow  # a full training and two exports: about a minute
def test_train_command_writes_the_model_layout(tmp_path, capsys):
    first = str(tmp_path / "first")
    assert main.main(_args(tmp_path) + ["--out", first, "--eval-fraction", "0.2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["model_dir"] == first and "model_recall@10" in printed["eval"]
    assert os.path.isfile(os.path.join(first, "Format-Serving", "saved_model.pb"))
    assert os.path.isfile(os.path.join(first, "Format-Eval", "saved_model.pb"))
    assert os.path.isdir(os.path.join(first, "logs", "pairs", "train"))
    assert model_card.read_model_card(first)["eval_model"]["folder"] == "Format-Eval"


@pytest.mark.slow
def test_train_command_warm_starts_from_a_previous_out_folder(tmp_path):
    args = _args(tmp_path)
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    assert main.main(args + ["--out", first]) == 0
    assert main.main(args + ["--out", second, "--warm-start-from", first]) == 0
    assert model_card.read_model_card(second)["warm_start"]["from"] == first


def test_train_command_reports_bad_input(tmp_path, capsys):
    code = main.main(["train", "--data", str(tmp_path), "--embeddings", str(tmp_path),
                      "--out", str(tmp_path / "o")])
    assert code == 2 and "interactions.csv" in capsys.readouterr().err
