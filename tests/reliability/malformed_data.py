"""A canonical folder whose interactions.csv holds every kind of malformed row production sees.

The file is built from a list of rows, so the expected row count, the line of every row and
which rows are bad are known here, independently of the reader under test.
"""

import dataclasses
import pathlib

BIG_FIELD_BYTES = 10 * 1024 * 1024  # a 10 MB single field
HEADER = b"user_id,item_id,timestamp,rating"
N_ITEMS = 20


@dataclasses.dataclass(frozen=True)
class Row:
    """One input row: its bytes (without line end), whether it is bad, and the expected
    reason kind.
    """

    data: bytes
    bad: bool
    kind: str = ""
    eol: bytes = b"\n"


def _good(n: int, eol: bytes = b"\n") -> Row:
    return Row(f"u{n % 7},i{n % N_ITEMS},{1_700_000_000 + 60 * n},{1 + n % 5}".encode(), False,
               eol=eol)


BAD_ROWS = [
    Row(b"u1,i1", True, "field_count"),  # short
    Row(b"u1,i1,1700000000", True, "field_count"),  # one field short
    Row(b"u1,i1,1700000000,3,extra", True, "field_count"),  # long
    Row(b"u1,i1,1700000000,3,,,,", True, "field_count"),  # trailing commas
    Row(b",i1,1700000000,3", True, "empty_id"),
    Row(b"u1,,1700000000,3", True, "empty_id"),
    Row(b"   ,i1,1700000000,3", True, "empty_id"),
    Row(b'"",i1,1700000000,3', True, "empty_id"),
    Row(b"u1,i1,1700000000,nan", True, "bad_rating"),
    Row(b"u1,i1,1700000000,NaN", True, "bad_rating"),
    Row(b"u1,i1,1700000000,inf", True, "bad_rating"),
    Row(b"u1,i1,1700000000,-Infinity", True, "bad_rating"),
    Row(b"u1,i1,1700000000,five", True, "bad_rating"),
    Row(b"u1,i1,1700000000,1e999", True, "bad_rating"),
    Row(b"u1,i1,-1,3", True, "bad_timestamp"),
    Row(b"u1,i1,4102444800,3", True, "bad_timestamp"),  # 2100-01-01: first value out of range
    Row(b"u1,i1,1700000000000,3", True, "bad_timestamp"),  # milliseconds
    Row(b"u1,i1,99999999999999999999999,3", True, "bad_timestamp"),
    Row(b"u1,i1,nan,3", True, "bad_timestamp"),
    Row(b"u1,i1,inf,3", True, "bad_timestamp"),
    Row(b"u1,i1,,3", True, "bad_timestamp"),
    Row(b"u1,i1,yesterday,3", True, "bad_timestamp"),
    Row(b"u1,i1,1969-12-31T23:59:59Z,3", True, "bad_timestamp"),
    Row(b"u\xff1,i1,1700000000,3", True, "invalid_utf8"),
    Row(b"u1,i1,1700000000,3\xc3", True, "invalid_utf8"),
    Row(b'"u\xfe1",i1,1700000000,3', True, "invalid_utf8"),  # quoted path
    Row(b"u1,i1," + b"7" * BIG_FIELD_BYTES + b",3", True, "field_too_large"),  # 10 MB field
    # 2 MB quoted
    Row(b'u1,"' + b"x" * (2 * 1024 * 1024) + b'",1700000000,3', True, "field_too_large"),
    Row(HEADER, True, "repeated_header"),
    Row(b" User_ID , item_id,TIMESTAMP,rating", True, "repeated_header"),
    Row(b"\xef\xbb\xbf" + HEADER, True, "repeated_header"),  # a concatenated file's BOM + header
]
# An opened quote that never closes swallows the rest of the file: it can only be the last row.
LAST_ROW = Row(b'u1,"i1,1700000000,3', True, "unterminated_quote")

# Rows that are unusual but valid.
ODD_GOOD_ROWS = [
    Row(b"u2,i2,1700000000,", False),  # no rating
    Row(b"  u3 , i3 ,1700000000,4", False),  # ids are stripped
    Row(b'"u4","i4","1700000000","2"', False),  # quoted fields
    Row(b"u5,i5,2020-01-01T00:00:00Z,1", False),  # ISO timestamp
    Row(b"u5,i6,1700000000.5,3.5", False),  # float timestamp, half rating
    Row(b"\xc3\xbcser,i7,1700000000,3", False),  # UTF-8 id
    Row(b"u6,i8,1700000000,3", False, eol=b"\r\n"),  # CRLF
]


def rows() -> list[Row]:
    """Good rows interleaved with every bad row, CRLF on some lines."""
    out, bad, odd = [], list(BAD_ROWS), list(ODD_GOOD_ROWS)
    n = 0
    while bad or odd:
        for _ in range(3):
            out.append(_good(n, b"\r\n" if n % 4 == 0 else b"\n"))
            n += 1
        out.append((bad or odd).pop(0))
    out += [_good(n + i) for i in range(5)]
    return out + [LAST_ROW]


def write_folder(folder) -> tuple[pathlib.Path, list[Row], dict[int, Row]]:
    """Writes the folder (BOM + CRLF header, a blank line, a last row without newline).

    Returns:
        (folder, rows in file order, {1-based line of each row: row}).
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    all_rows = rows()
    lines: dict[int, Row] = {}
    chunks = [b"\xef\xbb\xbf" + HEADER + b"\r\n"]
    line = 1
    for i, row in enumerate(all_rows):
        if i == 10:
            chunks.append(b"\n")  # a blank line: no data, not a row
            line += 1
        line += 1
        lines[line] = row
        last = i == len(all_rows) - 1
        chunks.append(row.data + (b"" if last else row.eol))
    (folder / "interactions.csv").write_bytes(b"".join(chunks))
    items = ["item_id,title,genres"] + [f"i{i},Item {i},G{i % 3}" for i in range(N_ITEMS)]
    (folder / "items.csv").write_bytes(("\r\n".join(items) + "\r\n").encode())
    return folder, all_rows, lines
