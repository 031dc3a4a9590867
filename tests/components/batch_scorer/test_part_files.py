"""Tests of components/batch_scorer/part_files.py."""

import os

from components.batch_scorer import part_files


def test_parts_join_in_key_order_and_are_removed(tmp_path):
    out = str(tmp_path / "recs.jsonl")
    parts_dir = part_files.parts_dir_for(out)
    assert os.path.dirname(parts_dir) == str(tmp_path)
    written = [part_files.write_part(parts_dir, key, text)
               for key, text in [("b", "2\n"), ("a", "1\n")]]
    part_files.write_part(parts_dir, "b", "2\n")  # A retried block overwrites its part.
    assert sorted(part_files.list_parts(parts_dir)) == sorted(written)
    part_files.concatenate(written, out, parts_dir)
    assert open(out).read() == "1\n2\n"
    assert not os.path.exists(parts_dir)


def test_no_parts_still_writes_an_empty_file(tmp_path):
    out = tmp_path / "none.jsonl"
    assert part_files.list_parts(str(tmp_path / "missing")) == []
    part_files.concatenate([], str(out), str(tmp_path / "missing"))
    assert out.read_text() == ""
