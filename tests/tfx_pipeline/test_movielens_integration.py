"""MovieLens-100K from ../shared through `recsys data prepare` and the pipeline CLI."""

import os

import ml_metadata as mlmd
import pytest
from tfx.orchestration import metadata

from tfx_pipeline.cli import main as cli


@pytest.mark.integration
def test_prepare_and_pipeline_on_movielens(tmp_path, movielens_dir, capsys):
    data = str(tmp_path / "ml100k")
    root = str(tmp_path / "root")
    assert cli.main(["data", "prepare", "--source", "movielens-100k", "--input",
                     str(movielens_dir), "--out", data]) == 0
    assert cli.main(["pipeline", "run", "--data", data, "--pipeline-root", root,
                     "--until", "transform"]) == 0

    store = mlmd.MetadataStore(metadata.sqlite_metadata_connection_config(
        os.path.join(root, "metadata.sqlite")))
    [examples] = [a for a in store.get_artifacts_by_type("Examples") if "example_gen" in a.uri]
    props = {k: v.int_value for k, v in examples.custom_properties.items()
             if v.HasField("int_value")}
    assert props["rows_read"] == 100_000
    assert props["rows_quarantined"] == 0
    assert props["rows_train"] + props["rows_eval"] == 100_000
    # user-time split with eval_fraction 0.2: about a fifth of each user's ratings.
    assert 0.18 < props["rows_eval"] / 100_000 < 0.23
    [graph] = store.get_artifacts_by_type("TransformGraph")
    import tensorflow_transform as tft

    output = tft.TFTransformOutput(graph.uri)
    assert output.vocabulary_size_by_name("user_id_vocab") == 943
    assert 1500 < output.vocabulary_size_by_name("item_id_vocab") <= 1682
