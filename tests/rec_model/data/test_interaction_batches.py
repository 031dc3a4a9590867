"""Columnar batches read the same rows and quarantine the same way as `iter_interactions`."""

import random

import pytest

from rec_model.data import canonical, csv_records
from rec_model.data.canonical import Interaction, Quarantined
from rec_model.data.interaction_batches import iter_interaction_batches
from tests.rec_model.data.test_canonical import HEADER, MALFORMED


def _write(tmp_path, data: bytes) -> str:
    path = tmp_path / "interactions.csv"
    path.write_bytes(data)
    return str(path)


def _flatten(batches):
    good = [Interaction(*row) for b in batches
            for row in zip(b.user_ids, b.item_ids, b.timestamps, b.ratings)]
    return good, [q for b in batches for q in b.quarantined]


def _reference(path):
    results = list(canonical.iter_interactions(path))
    return ([r for r in results if isinstance(r, Interaction)],
            [r for r in results if isinstance(r, Quarantined)])


def _random_file(seed: int) -> bytes:
    """Clean rows mixed with every malformed kind, quotes, CRLF, blank lines and a BOM."""
    rng = random.Random(seed)
    specials = [row for row, _ in MALFORMED if len(row) < 1000] + [
        b"\n", b"  \r\n", b'"u7","i\n7",77,1\n', b'u8,"i8",88,\n', b"u9,i9,99,2.5\r\n",
        b"u1,i1,\xc2\xb2,1\n", b" u2 , i2 ,12, 3 \n", b"u3,i3,2020-01-01T00:00:00Z,4\n"]
    rows = [b"\xef\xbb\xbf" + HEADER]
    for n in range(3000):
        if rng.random() < 0.05:
            rows.append(rng.choice(specials))
        else:
            rows.append(f"u{rng.randrange(50)},i{rng.randrange(90)},{rng.randrange(1, 10**9)},"
                        f"{rng.choice(['', '1', '4.5'])}\n".encode())
    if rng.random() < 0.5:
        rows.append(b"u5,i5,55,5")  # no newline at the end
    return b"".join(rows)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("block_bytes", [64, 1000, csv_records.MAX_FIELD_BYTES])
def test_same_rows_and_quarantine_as_the_record_reader(tmp_path, seed, block_bytes):
    path = _write(tmp_path, _random_file(seed))
    good, bad = _flatten(list(iter_interaction_batches(path, 100, block_bytes=block_bytes)))
    ref_good, ref_bad = _reference(path)
    assert good == ref_good
    assert bad == ref_bad
    assert len(good) + len(bad) == canonical.count_data_lines(path)


@pytest.mark.parametrize("block_bytes", [16, csv_records.MAX_FIELD_BYTES])
def test_without_timestamps_same_rows_and_quarantine_as_the_record_reader(tmp_path,
                                                                         block_bytes):
    rows = b"user_id,item_id,rating\nu1,i1,4\nu1,i2,\nuser_id,item_id,rating\n,i3,1\nu2,i4,x\n"
    path = _write(tmp_path, rows)
    good, bad = _flatten(list(iter_interaction_batches(path, 2, block_bytes=block_bytes)))
    assert (good, bad) == _reference(path)
    assert [g.timestamp for g in good] == [canonical.UNKNOWN_TIMESTAMP] * 2
    assert [q.kind for q in bad] == ["repeated_header", "empty_id", "bad_rating"]


def test_every_malformed_kind_keeps_its_line_and_reason(tmp_path):
    rows = [b"u0,i0,10,4\n"] + [row for row, _ in MALFORMED] + [b"u9,i9,99,1\n"]
    path = _write(tmp_path, HEADER + b"".join(rows))
    good, bad = _flatten(list(iter_interaction_batches(path)))
    assert [(g.user_id, g.timestamp) for g in good] == [("u0", 10), ("u9", 99)]
    assert [q.line for q in bad] == list(range(3, 3 + len(MALFORMED)))
    assert [q.kind for q in bad] == [kind for _, kind in MALFORMED]


def test_non_ascii_digits_are_quarantined_not_a_crash(tmp_path):
    path = _write(tmp_path, HEADER + "u1,i1,\u00b2,1\nu2,i2,\u0663,1\n".encode())
    readers = (lambda: _flatten(list(iter_interaction_batches(path))), lambda: _reference(path))
    for reader in readers:
        good, bad = reader()
        assert [q.kind for q in bad] == ["bad_timestamp"]  # '²' is a digit to isdigit() only
        assert [(g.user_id, g.timestamp) for g in good] == [("u2", 3)]  # Arabic-Indic 3


def test_batches_hold_at_most_about_batch_rows(tmp_path):
    path = _write(tmp_path, HEADER + b"u1,i1,5,1\n" * 1000)
    batches = list(iter_interaction_batches(path, 300, block_bytes=200))
    assert sum(len(b) for b in batches) == 1000
    assert all(len(b) <= 300 + 200 for b in batches) and len(batches) >= 3


def test_header_errors_are_raised(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        list(iter_interaction_batches(_write(tmp_path, b"\n\n")))
    with pytest.raises(ValueError, match="'user_id'"):
        list(iter_interaction_batches(_write(tmp_path, b"user,item_id,timestamp\nu1,i1,5\n")))
