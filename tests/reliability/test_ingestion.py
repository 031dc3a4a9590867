"""Ingestion under attack: one file with every malformed-row kind through both readers.

`rec_model.data.prepare.prepare_csv` (the `recsys data prepare` path) and the example_gen
executor (the pipeline path) must both finish, quarantine every bad row with file, line and
reason, and account for every input row: good + quarantined == rows in the file, where the
row count comes from the test's own construction of the file, not from the readers.
"""

import csv
import json
import os

import pytest

from rec_model.data import prepare
from tests.reliability import malformed_data


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    folder, rows, lines = malformed_data.write_folder(tmp_path_factory.mktemp("attacked") / "data")
    raw = (folder / "interactions.csv").read_bytes()
    # Independent count: non-blank physical lines minus the header (no row spans lines here).
    n_rows = sum(1 for line in raw.split(b"\n") if line.strip()) - 1
    assert n_rows == len(rows)
    bad = {line: row.kind for line, row in lines.items() if row.bad}
    assert len(raw) > malformed_data.BIG_FIELD_BYTES
    return folder, n_rows, bad


def _check_quarantine(records, path_suffix, bad):
    assert all(r["file"].endswith(path_suffix) for r in records), {r["file"] for r in records}
    assert all(r["reason"] and ":" in r["reason"] and len(r["raw"]) <= 1000 for r in records)
    got = {r["line"]: r["reason"].split(":", 1)[0] for r in records}
    assert len(got) == len(records), "a line was quarantined twice"
    assert got == bad


def test_prepare_csv_quarantines_every_bad_row_and_loses_none(attacked, tmp_path):
    folder, n_rows, bad = attacked
    out = tmp_path / "out"
    counts = prepare.prepare_csv(str(folder), str(out))

    inter = counts["interactions"]
    assert inter["rows_read"] == n_rows
    assert inter["quarantined"] == len(bad)
    assert inter["rows_written"] + inter["quarantined"] == n_rows
    with open(out / "interactions.csv", newline="", encoding="utf-8") as f:
        written = list(csv.reader(f))[1:]
    assert len(written) == inter["rows_written"] == n_rows - len(bad)
    assert all(1 <= int(ts) < 4_102_444_800 and u and i for u, i, ts, _ in written)
    with open(counts["quarantine_path"], encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    _check_quarantine(records, os.path.join("data", "interactions.csv"), bad)
    print(f"\nprepare_csv: {n_rows} rows -> {inter['rows_written']} written + "
          f"{inter['quarantined']} quarantined; kinds {sorted(set(bad.values()))}")
    assert counts["items"] == {"rows_read": malformed_data.N_ITEMS,
                               "rows_written": malformed_data.N_ITEMS, "quarantined": 0}


def test_example_gen_quarantines_every_bad_row_and_loses_none(attacked, tmp_path):
    import tensorflow as tf

    from tests.components.example_gen.test_executor import _read_examples, run_executor

    folder, n_rows, bad = attacked
    examples, quarantine = run_executor(tmp_path, str(folder))

    n_examples = sum(len(_read_examples(examples.uri, split)) for split in ("train", "eval"))
    assert n_examples == n_rows - len(bad)
    assert examples.get_int_custom_property("rows_read") == n_rows
    assert examples.get_int_custom_property("rows_quarantined") == len(bad)
    assert quarantine.get_int_custom_property("count") == len(bad)
    records = []
    for path in tf.io.gfile.glob(os.path.join(quarantine.uri, "quarantine*.jsonl")):
        with open(path, encoding="utf-8") as f:
            records += [json.loads(line) for line in f if line.strip()]
    _check_quarantine(records, os.path.join("data", "interactions.csv"), bad)
    print(f"\nexample_gen: {n_rows} rows -> {n_examples} examples + {len(records)} quarantined")
