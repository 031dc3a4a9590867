"""Streaming CSV record reader that decodes one record at a time.

The file is read as bytes, split into records by a small quote-aware state machine
(Python `csv` "excel" dialect: `,` delimiter, `"` quoting, `""` escapes), and each
record is decoded and parsed on its own. So a record with invalid UTF-8, an unclosed
quote or a huge field is reported on its own line number instead of breaking the
whole file, and memory stays O(1) in file size (a record is buffered up to
`MAX_RECORD_BYTES`; past that only its first bytes are kept for the report).

Line numbers are 1-based physical lines; a record spanning lines (a quoted newline)
is reported at the line where it starts. A UTF-8 BOM at the start of the file and
CRLF line endings are accepted. Blank lines carry no data and are skipped.

Reasons are `"kind: detail"`; the kinds are the constants `ERR_*` below.
"""

import csv
import typing
from collections.abc import Iterator

MAX_FIELD_BYTES = 1 << 20  # 1 MiB: a longer field quarantines its record.
MAX_RECORD_BYTES = 4 * MAX_FIELD_BYTES  # Past this a record is no longer buffered.
RAW_CHARS = 1000  # Quarantine reports keep this many characters of the record.

ERR_UTF8 = "invalid_utf8"
ERR_FIELD_TOO_LARGE = "field_too_large"
ERR_UNTERMINATED = "unterminated_quote"
ERR_CSV = "bad_csv"

_BOM = b"\xef\xbb\xbf"
# What `bytes.strip()` strips: a line of only these is blank, as in `_parse`.
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
_READ_LIMIT = 1 << 16  # readline() chunk: long lines are read in pieces.
_QUOTE, _COMMA = 0x22, 0x2C
# Splitter states (a subset of CPython's _csv parser states).
_START, _IN_FIELD, _IN_QUOTED, _QUOTE_IN_QUOTED = range(4)


class Record(typing.NamedTuple):
    """One CSV record of a file (a NamedTuple: cheap to create per row).

    Attributes:
        line: 1-based physical line where the record starts.
        fields: The parsed fields, or None when the record is unreadable.
        raw: The record text (bad bytes replaced), cut to `RAW_CHARS` characters.
        error: `"kind: detail"` when the record is unreadable, else None.
    """

    line: int
    fields: list[str] | None
    raw: str
    error: str | None = None


def _advance(chunk: bytes, state: int) -> int:
    """Runs the quote state machine over `chunk` and returns the state after it."""
    i, n = 0, len(chunk)
    while i < n:
        if state == _IN_QUOTED:
            j = chunk.find(b'"', i)
            if j < 0:
                return state
            state, i = _QUOTE_IN_QUOTED, j + 1
        elif state == _IN_FIELD:
            j = chunk.find(b",", i)
            if j < 0:
                return state
            state, i = _START, j + 1
        else:  # _START or _QUOTE_IN_QUOTED look at one byte.
            c = chunk[i]
            if c == _QUOTE:
                state = _IN_QUOTED
            elif c == _COMMA:
                state = _START
            else:
                state = _IN_FIELD
            i += 1
    return state


def _rest_of_record(chunk: bytes, readline) -> tuple[bytes | None, bytes, bool, int]:
    """Reads from `chunk` on to the end of its record (quote-aware, bounded buffer).

    Returns:
        `(data or None when over MAX_RECORD_BYTES, first bytes, unterminated, lines consumed)`.
    """
    parts: list[bytes] | None = []
    head = b""
    size = lines = 0
    state = _START
    ended_line = True
    while chunk:
        ended_line = chunk.endswith(b"\n")
        lines += ended_line
        if state == _IN_QUOTED or b'"' in chunk:
            state = _advance(chunk, state)
        else:  # No quote: only the last byte matters.
            state = _START if chunk.endswith(b",") else _IN_FIELD
        size += len(chunk)
        if parts is not None:
            if size > MAX_RECORD_BYTES:
                head = b"".join(parts)[: 4 * RAW_CHARS]
                parts = None
            else:
                parts.append(chunk)
        if ended_line and state != _IN_QUOTED:
            break
        chunk = readline(_READ_LIMIT)
    lines += not ended_line  # The file's last line has no newline.
    data = b"".join(parts) if parts is not None else None
    return data, head if data is None else data[: 4 * RAW_CHARS], state == _IN_QUOTED, lines


def _raw_text(data: bytes) -> str:
    return data.decode("utf-8", "replace").rstrip("\r\n")[:RAW_CHARS]


def _parse(start: int, data: bytes | None, head: bytes, unterminated: bool) -> Record | None:
    """Decodes and parses one record; None for a blank line."""
    if data is None:
        return Record(start, None, _raw_text(head), f"{ERR_FIELD_TOO_LARGE}: record is over "
                      f"{MAX_RECORD_BYTES >> 20} MiB; fields are limited to "
                      f"{MAX_FIELD_BYTES >> 20} MiB")
    if data.endswith(b"\n"):
        data = data[:-1]
        if data.endswith(b"\r"):
            data = data[:-1]
    if not data.strip():
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return Record(start, None, _raw_text(data),
                      f"{ERR_UTF8}: byte {e.start} of the record is not UTF-8; "
                      "re-save the file as UTF-8")
    if unterminated:
        return Record(start, None, text[:RAW_CHARS],
                      f"{ERR_UNTERMINATED}: a quoted field opened on "
                      f"line {start} is never closed (it runs to the end of the file)")
    if '"' in text:
        try:
            fields = next(csv.reader([text]))
        except csv.Error as e:
            return Record(start, None, text[:RAW_CHARS], f"{ERR_CSV}: {e}")
    else:
        fields = text.split(",")
    if len(data) > MAX_FIELD_BYTES:
        for i, f in enumerate(fields):
            if len(f) > MAX_FIELD_BYTES // 4 and len(f.encode("utf-8")) > MAX_FIELD_BYTES:
                return Record(start, None, text[:RAW_CHARS],
                              f"{ERR_FIELD_TOO_LARGE}: field {i + 1} "
                              f"is over {MAX_FIELD_BYTES >> 20} MiB")
    return Record(start, fields, text[:RAW_CHARS])


class LineBlock(typing.NamedTuple):
    """Consecutive one-line records of a file, decoded, without quotes or line endings.

    Attributes:
        start: 1-based physical line of `lines[0]`; `lines[i]` is on line `start + i`.
        lines: The lines' text; blank lines are kept (they carry no data) so that the
            line numbers stay implicit. Each line is shorter than `MAX_FIELD_BYTES`.
    """

    start: int
    lines: list[str]


def _decoded_blocks(chunk: bytes, line_no: int) -> Iterator["LineBlock | Record"]:
    """`chunk` (whole lines starting after `line_no`) as one block, or line by line when
    some line is not UTF-8 (those lines become error `Record`s)."""
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        for offset, data in enumerate(chunk.split(b"\n")[:-1]):
            data = data[:-1] if data.endswith(b"\r") else data
            try:
                yield LineBlock(line_no + offset + 1, [data.decode("utf-8")])
            except UnicodeDecodeError:
                yield _parse(line_no + offset + 1, data, data, False)
        return
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    lines.pop()  # The chunk ends with a newline.
    yield LineBlock(line_no + 1, lines)


def iter_blocks(path: str, block_bytes: int = MAX_FIELD_BYTES) -> Iterator["LineBlock | Record"]:
    """Streams a CSV file as blocks of simple lines, and `Record`s for everything else.

    The common record (one line, no quote, valid UTF-8) is handed over a block of lines at a
    time, so a reader pays no per-record call; a line with a quote, a line longer than
    `block_bytes`, and the file's last line without a newline go through the record
    state machine one record at a time, exactly as in `iter_records`.

    Args:
        path: The CSV file.
        block_bytes: Read buffer; at most `MAX_FIELD_BYTES`, so block lines need no size check.

    Yields:
        `LineBlock`s and `Record`s (header included) in file order; blank lines appear only
        inside blocks.
    """
    if csv.field_size_limit() < MAX_RECORD_BYTES:
        csv.field_size_limit(MAX_RECORD_BYTES + 1)
    block_bytes = min(block_bytes, MAX_FIELD_BYTES)
    with open(path, "rb", buffering=block_bytes) as fh:
        if fh.peek(len(_BOM))[: len(_BOM)] == _BOM:
            fh.read(len(_BOM))
        line_no = 0
        while data := fh.peek(block_bytes)[:block_bytes]:
            cut = data.rfind(b"\n")
            quote = data.find(b'"', 0, cut + 1)
            if quote >= 0:  # Only the lines before the quoted record go as a block.
                cut = data.rfind(b"\n", 0, quote)
            if cut >= 0:
                chunk = fh.read(cut + 1)
                yield from _decoded_blocks(chunk, line_no)
                line_no += chunk.count(b"\n")
                continue
            start = line_no + 1
            data, head, unterminated, lines = _rest_of_record(fh.readline(_READ_LIMIT),
                                                              fh.readline)
            line_no += lines
            record = _parse(start, data, head, unterminated)
            if record is not None:
                yield record


def iter_records(path: str) -> Iterator[Record]:
    """Streams the records of a CSV file, header included, skipping blank lines.

    Args:
        path: The CSV file.

    Yields:
        One `Record` per non-blank record, in file order.
    """
    for block in iter_blocks(path):
        if isinstance(block, Record):
            yield block
            continue
        for offset, text in enumerate(block.lines):
            if text.strip(ASCII_WHITESPACE):
                yield Record(block.start + offset, text.split(","), text[:RAW_CHARS])


def normalise_header(fields: list[str]) -> list[str]:
    """Column names as compared: stripped and lower-cased."""
    return [f.strip().lower() for f in fields]


def split_header(path: str, records: Iterator[Record]) -> list[str]:
    """Consumes the header record and returns its normalised column names.

    Raises:
        ValueError: The file is empty, or its header is unreadable or repeats a column.
    """
    header = next(records, None)
    if header is None:
        raise ValueError(f"{path}: the file is empty; its first line must be a header naming "
                         "the columns, e.g. 'user_id,item_id,timestamp'")
    if header.error:
        raise ValueError(f"{path}: line {header.line}: cannot read the header ({header.error})")
    names = normalise_header(header.fields)
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{path}: the header names column {name!r} twice; rename one of them")
        seen.add(name)
    return names


def column_index(path: str, header: list[str], required: tuple[str, ...],
                 example: str) -> dict[str, int]:
    """Maps column name -> position, checking the required columns.

    Raises:
        ValueError: A required column is missing (names file, column and the fix).
    """
    index = {name: i for i, name in enumerate(header)}
    for name in required:
        if name not in index:
            raise ValueError(
                f"{path}: the header has no column {name!r} "
                f"(found: {', '.join(header) or 'nothing'}). "
                f"The first line must name the columns, e.g. {example!r}; "
                "rename or add the column."
            )
    return index


def read_header(path: str) -> list[str]:
    """The normalised column names of a CSV file (reads the header record only)."""
    records = iter_records(path)
    try:
        return split_header(path, records)
    finally:
        records.close()


def count_data_lines(path: str) -> int:
    """Number of non-blank records after the header (good and malformed alike)."""
    return max(0, sum(1 for _ in iter_records(path)) - 1)
