"""Plain embedding run (`embed_items`) and the `recsys embed` command built on it."""

import numpy as np
import pytest

from components.text_embedder.config import EmbedderConfig
from components.text_embedder.embed_items import embed_items
from rec_model.item_embeddings import load_item_embeddings
from tfx_pipeline.cli import main as cli


@pytest.fixture()
def items_csv(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        "item_id,title,genres\n"
        "1,Toy Story (1995),Animation|Children's|Comedy\n"
        "2,Aladdin (1992),Animation|Children's|Comedy|Musical\n"
        "3,Heat (1995),Action|Crime|Thriller\n"
        "4,,\n"
        "bad row with no commas\n",
        encoding="utf-8")
    return str(path)


def test_embed_items_writes_the_folder(items_csv, tmp_path):
    meta = embed_items(items_csv, str(tmp_path / "out"),
                       EmbedderConfig(sequence_length=32, batch_size=3))
    ids, vectors, written = load_item_embeddings(tmp_path / "out")
    assert ids == ["1", "2", "3", "4"]
    assert written == meta
    assert meta["counts"] == {"empty_text": 1, "quarantined": 1, "replaced_undecodable": 0,
                              "truncated": 0}
    assert meta["sequence_length"] == 32 and meta["dim"] == 384 == vectors.shape[1]
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_cli_embed_runs_and_reports_bad_backbones(items_csv, tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli.main(["embed", "--items", items_csv, "--out", str(out),
                     "--sequence-length", "16"]) == 0
    assert "4 items x 384" in capsys.readouterr().out
    ids, vectors, meta = load_item_embeddings(out)
    assert len(ids) == 4 and np.all(np.isfinite(vectors)) and meta["batch_size"] == 64

    assert cli.main(["embed", "--items", items_csv, "--out", str(out),
                     "--backbone", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["embed", "--items", str(tmp_path / "missing.csv"), "--out", str(out)]) == 2
    assert "is not a file" in capsys.readouterr().err
