import gzip
import json
import os

import pytest
import tensorflow as tf
from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact_utils, standard_artifacts

from components import artifacts, common
from components.example_gen import executor
from components.example_gen.config import ExampleGenConfig
from rec_model.data import canonical
from tests.components import testdata

MULTI_PROCESS = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def _read_examples(uri, split):
    records = []
    for path in tf.io.gfile.glob(os.path.join(uri, f"Split-{split}", "*.gz")):
        with gzip.open(path, "rb"):
            pass  # gzip-readable, as TFX expects
        for raw in tf.data.TFRecordDataset(path, compression_type="GZIP"):
            example = tf.train.Example.FromString(raw.numpy())
            f = example.features.feature
            records.append((f["user_id"].bytes_list.value[0].decode(),
                            f["item_id"].bytes_list.value[0].decode(),
                            f["timestamp"].int64_list.value[0]))
    return records


def run_executor(tmp_path, data_dir, config=ExampleGenConfig(), beam_args=()):
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    quarantine = artifacts.QuarantinedRecords()
    quarantine.uri = str(tmp_path / "quarantine")
    context = base_beam_executor.BaseBeamExecutor.Context(
        beam_pipeline_args=list(beam_args), tmp_dir=str(tmp_path / "tmp"), unique_id="1"
    )
    executor.Executor(context).Do(
        {}, {"examples": [examples], "quarantine": [quarantine]},
        {"input_base": data_dir, "config_json": config.to_json()},
    )
    return examples, quarantine


@pytest.mark.parametrize("beam_args", [(), MULTI_PROCESS], ids=["in_process", "multi_process"])
def test_writes_standard_examples_and_quarantines_bad_rows(tmp_path, beam_args):
    data = testdata.write_small_folder(str(tmp_path / "data"))
    examples, quarantine = run_executor(tmp_path, data, ExampleGenConfig(span=3), beam_args)

    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval"]
    assert examples.span == 3
    train, eval_ = _read_examples(examples.uri, "train"), _read_examples(examples.uri, "eval")
    n_bad = len(testdata.BAD_ROWS)
    assert len(train) + len(eval_) == testdata.GOOD_ROWS
    assert examples.get_int_custom_property("rows_read") == testdata.GOOD_ROWS + n_bad
    assert examples.get_int_custom_property("rows_train") == len(train)
    assert examples.get_int_custom_property("rows_eval") == len(eval_)
    assert examples.get_int_custom_property("rows_quarantined") == n_bad
    assert quarantine.get_int_custom_property("count") == n_bad

    # Time split: every user's eval rows are later than all of their train rows.
    last_train = {}
    for user, _, ts in train:
        last_train[user] = max(ts, last_train.get(user, 0))
    assert eval_ and all(ts > last_train[user] for user, _, ts in eval_)

    rows = []
    for path in tf.io.gfile.glob(os.path.join(quarantine.uri, "quarantine*.jsonl")):
        rows += [json.loads(line) for line in open(path) if line.strip()]
    assert sorted(r["line"] for r in rows) == list(range(testdata.GOOD_ROWS + 2,
                                                         testdata.GOOD_ROWS + 2 + n_bad))
    assert all(r["file"].endswith("interactions.csv") and r["reason"] for r in rows)


def test_random_mode_keeps_every_row(tmp_path):
    data = testdata.write_small_folder(str(tmp_path / "data"), bad_rows=())
    examples, _ = run_executor(tmp_path, data,
                               ExampleGenConfig(split_mode="random", eval_fraction=0.3))
    n_train = len(_read_examples(examples.uri, "train"))
    n_eval = len(_read_examples(examples.uri, "eval"))
    assert n_train + n_eval == testdata.GOOD_ROWS and n_eval > 0


def test_a_folder_without_timestamps_is_split_per_user_at_random(tmp_path):
    data = testdata.write_small_folder(str(tmp_path / "data"), bad_rows=())
    path = os.path.join(data, "interactions.csv")
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split(",") for line in f]
    with open(path, "w", encoding="utf-8") as f:  # user_id,item_id only, items in id order
        f.write("".join(f"{r[0]},{r[1]}\n" for r in [rows[0], *sorted(rows[1:])]))
    examples, _ = run_executor(tmp_path, data)
    train, eval_ = _read_examples(examples.uri, "train"), _read_examples(examples.uri, "eval")
    assert len(train) + len(eval_) == testdata.GOOD_ROWS and eval_
    assert {ts for _, _, ts in train + eval_} == {canonical.UNKNOWN_TIMESTAMP}
    last_item = {}
    for user, item, _ in train + eval_:
        last_item[user] = max(item, last_item.get(user, ""))
    held_out_last = sum(item == last_item[user] for user, item, _ in eval_)
    assert held_out_last < len(set(last_item))  # not each user's last ids in file order


def test_missing_input_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no interactions.csv"):
        run_executor(tmp_path, str(tmp_path / "nowhere"))


def test_the_progress_line_names_columns_that_are_not_read(tmp_path, caplog):
    data = testdata.write_small_folder(str(tmp_path / "data"), bad_rows=())
    path = os.path.join(data, "interactions.csv")
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n") for line in f]
    with open(path, "w", encoding="utf-8") as f:  # a play-count column the reader skips
        f.write("".join(f"{row},{'plays' if i == 0 else i}\n" for i, row in enumerate(rows)))
    with caplog.at_level("INFO", logger=common.PROGRESS_LOGGER):
        run_executor(tmp_path, data, ExampleGenConfig(split_mode="random"))
    line = next(r.getMessage() for r in caplog.records if r.name == common.PROGRESS_LOGGER)
    assert "columns plays not read" in line and "'rating'" in line
    caplog.clear()
    (tmp_path / "plain").mkdir()
    with caplog.at_level("INFO", logger=common.PROGRESS_LOGGER):
        run_executor(tmp_path / "plain", testdata.write_small_folder(str(tmp_path / "d2")))
    assert not any("not read" in r.getMessage() for r in caplog.records)
