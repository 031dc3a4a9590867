"""Tests of components/batch_scorer/file_chunks.py."""

import gzip

import pytest

from components.batch_scorer import file_chunks


def _all_lines(chunks):
    return [pair for chunk in chunks for pair in file_chunks.read_lines(chunk)]


@pytest.mark.parametrize("data", [
    b"a\nbb\n\nccc\r\nd", b"a\nbb\n\nccc\r\nd\n", b"", b"\n", b"one line",
    b"x" * 50 + b"\n" + b"y" * 3,
])
@pytest.mark.parametrize("target", [1, 3, 7, 1000])
def test_ranges_cover_every_line_once_with_its_number(tmp_path, data, target):
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    chunks, quoted = file_chunks.scan(str(path), target=target)
    with open(path, "rb") as f:
        expected = [(n, line[:-1] if line.endswith(b"\n") else line)
                    for n, line in enumerate(f, start=1)]
    assert _all_lines(chunks) == expected
    assert not quoted
    assert all(c.start == 0 or data[c.start - 1:c.start] == b"\n" for c in chunks)


def test_scan_from_an_offset_and_quote_detection(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'"head"\nu1,i1\nu2,i2\n')
    chunks, quoted = file_chunks.scan(str(path), target=4, start=7, first_line=2)
    assert _all_lines(chunks) == [(2, b"u1,i1"), (3, b"u2,i2")]
    assert not quoted  # The quote is before `start`.
    assert file_chunks.scan(str(path))[1]


def test_compressed_files_are_one_whole_range(tmp_path):
    path = tmp_path / "users.txt.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"u1\nu2\n")
    chunks, quoted = file_chunks.scan(str(path), target=1)
    assert quoted and len(chunks) == 1 and chunks[0].end == file_chunks.WHOLE_FILE
    assert _all_lines(chunks) == [(1, b"u1"), (2, b"u2")]


def test_chunk_size_grows_with_the_file_within_bounds():
    assert file_chunks.chunk_bytes(0) == file_chunks.MIN_CHUNK_BYTES
    assert file_chunks.chunk_bytes(1 << 40) == file_chunks.MAX_CHUNK_BYTES
