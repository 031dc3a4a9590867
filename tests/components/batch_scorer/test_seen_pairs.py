"""Tests of components/batch_scorer/seen_pairs.py: the rows rec_model's canonical reader keeps."""

import pytest

from components.batch_scorer import file_chunks, seen_pairs
from rec_model.data import canonical
from tests.components.batch_scorer.conftest import write_examples

MESSY = (
    "\ufeffuser_id,item_id,timestamp,rating\r\n"
    "u1,i1,1700000000,4\r\n"
    "\n"
    "u1,i2,2023-11-14T22:13:20,\n"  # ISO timestamp, empty rating: good.
    " u2 , i3 ,1700000000,5\n"  # Ids are stripped.
    "u2,,1700000000,3\n"  # Empty item.
    "u3,i4,notatime,3\n"
    "u3,i11,\u00b2,3\n"  # A digit that int() rejects.
    "u3,i5,1700000000,abc\n"
    "u3,i6,1700000000,nan\n"
    "u4,i7\n"
    "user_id,item_id,timestamp,rating\n"  # Repeated header.
    "u4,i8,99999999999,1\n"  # Out of range.
    "u5,\xe9t\xe9,1700000000,2\n"
    "u6,i9,1700000000,1e400\n"
    "u7,i10,1700000000,3"  # No final line break.
)


def _canonical_pairs(path):
    good = [r for r in canonical.iter_interactions(path) if isinstance(r, canonical.Interaction)]
    return [r.user_id for r in good], [r.item_id for r in good]


@pytest.mark.parametrize("target", [1, 16, 1 << 20])
def test_ranges_yield_exactly_the_canonical_good_rows(tmp_path, target):
    path = tmp_path / "interactions.csv"
    path.write_bytes(MESSY.encode("utf-8") + b"\nu8,i1,1700000000,\xff\xfe\n")
    layout = seen_pairs.read_layout(str(path))
    chunks, quoted = file_chunks.scan(str(path), target=target, start=layout.data_start,
                                      first_line=layout.data_line)
    users, items = [], []
    for chunk in chunks:
        u, i = seen_pairs.pairs_from_lines(file_chunks.read_lines(chunk), layout)
        users += u
        items += i
    assert not quoted
    assert (users, items) == _canonical_pairs(str(path))
    assert ("u1", "i2") in zip(users, items) and ("u5", "\xe9t\xe9") in zip(users, items)


def test_only_wanted_users_rows_are_kept(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    layout = seen_pairs.read_layout(str(path))
    chunk = file_chunks.scan(str(path), start=layout.data_start,
                             first_line=layout.data_line)[0][0]
    wanted = {"u2", "u7", "nobody"}
    users, items = _canonical_pairs(str(path))
    want = [(u, i) for u, i in zip(users, items) if u in wanted]
    got = seen_pairs.pairs_from_lines(file_chunks.read_lines(chunk), layout, wanted)
    assert list(zip(*got)) == want == [("u2", "i3"), ("u7", "i10")]
    assert list(zip(*seen_pairs.pairs_from_whole_csv(str(path), wanted))) == want


def test_layout_follows_the_header(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_text("\n\ntimestamp,item_id,user_id\n1700000000,i1,u1\n")
    layout = seen_pairs.read_layout(str(path))
    assert (layout.user, layout.item, layout.time, layout.rating) == (2, 1, 0, None)
    assert layout.data_line == 4
    assert path.read_bytes()[layout.data_start:].startswith(b"1700000000")
    with pytest.raises(ValueError, match="user_id"):
        (tmp_path / "bad.csv").write_text("item_id,timestamp\n")
        seen_pairs.read_layout(str(tmp_path / "bad.csv"))


def test_a_file_without_timestamps_yields_the_canonical_good_rows(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_text("item_id,user_id\ni1,u1\n,u2\nitem_id,user_id\ni3,u3\n")
    layout = seen_pairs.read_layout(str(path))
    assert (layout.user, layout.item, layout.time) == (1, 0, None)
    chunk = file_chunks.scan(str(path), start=layout.data_start,
                             first_line=layout.data_line)[0][0]
    got = seen_pairs.pairs_from_lines(file_chunks.read_lines(chunk), layout)
    assert got == _canonical_pairs(str(path)) == (["u1", "u3"], ["i1", "i3"])


def test_quoted_files_are_read_whole_by_canonical(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_text('user_id,item_id,timestamp\n"u,1",i1,1700000000\nu2,"i\n2",1700000000\n')
    assert seen_pairs.pairs_from_whole_csv(str(path)) == (["u,1", "u2"], ["i1", "i\n2"])


def test_examples_files_are_parsed_in_batches(tmp_path):
    folder = write_examples(tmp_path / "examples",
                            {"train": [("u1", "i0"), ("u2", "i1"), ("u1", "i5")]})
    path = next((tmp_path / "examples" / "Split-train").iterdir())
    assert seen_pairs.pairs_from_tfrecords(str(path)) == (["u1", "u2", "u1"], ["i0", "i1", "i5"])
    assert seen_pairs.pairs_from_tfrecords(str(path), {"u1"}) == (["u1", "u1"], ["i0", "i5"])
    assert folder
