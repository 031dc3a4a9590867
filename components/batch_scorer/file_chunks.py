"""Line-aligned byte ranges of text files, so Beam workers read one file in parallel.

The driver scans each file once (C-speed `bytes.count`, no per-line Python) to find range
boundaries just after a line break and the 1-based line number each range starts at; a worker
then seeks to its range and reads only that. Compressed files cannot be seeked into, so they
become a single range read from the start.
"""

import dataclasses
from typing import Iterator, List, Tuple

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

MIN_CHUNK_BYTES = 256 << 10
MAX_CHUNK_BYTES = 8 << 20
CHUNKS_PER_FILE = 16  # Enough ranges to keep several workers busy on a mid-size file.
_BLOCK = 4 << 20
WHOLE_FILE = -1


@dataclasses.dataclass(frozen=True)
class FileChunk:
    """Bytes `[start, end)` of `path`; `end == WHOLE_FILE` reads from `start` to the end.

    Attributes:
        path: any Beam file system path.
        start: first byte, always just after a line break (or 0).
        end: one past the last byte (just after a line break, or the file size).
        first_line: 1-based line number of the line at `start`.
    """

    path: str
    start: int
    end: int
    first_line: int


def is_compressed(path: str) -> bool:
    """True when Beam would decompress `path` (by its extension), so it cannot be split."""
    return CompressionTypes.detect_compression_type(path) != CompressionTypes.UNCOMPRESSED


def chunk_bytes(size: int) -> int:
    """Target range size for a file of `size` bytes."""
    return min(MAX_CHUNK_BYTES, max(MIN_CHUNK_BYTES, size // CHUNKS_PER_FILE))


def scan(path: str, target: int = 0, start: int = 0,
         first_line: int = 1) -> Tuple[List[FileChunk], bool]:
    """Splits `path` from byte `start` into line-aligned ranges of about `target` bytes.

    Args:
        path: the file.
        target: range size (0: `chunk_bytes(file size)`).
        start: where the first range begins (e.g. just after a header line).
        first_line: line number at `start`.

    Returns:
        (ranges covering `[start, end of file)`, quoted): `quoted` is True when the file holds a
        `"` byte from `start` on (a quoted CSV field may span lines, so a CSV reader must read
        such a file whole) or is compressed (then the one range is the whole file).
    """
    if is_compressed(path):
        return [FileChunk(path, 0, WHOLE_FILE, 1)], True
    size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes
    target = target or chunk_bytes(size)
    chunks: List[FileChunk] = []
    quoted = False
    begin, begin_line, line = start, first_line, first_line
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.seek(start)
        offset = start
        while True:
            block = f.read(_BLOCK)
            if not block:
                break
            quoted = quoted or b'"' in block
            pos = 0
            while offset + len(block) - begin > target:
                cut = block.find(b"\n", max(pos, begin + target - offset))
                if cut < 0:
                    break
                line += block.count(b"\n", pos, cut + 1)
                pos = cut + 1
                chunks.append(FileChunk(path, begin, offset + pos, begin_line))
                begin, begin_line = offset + pos, line
            line += block.count(b"\n", pos)
            offset += len(block)
    if offset > begin:
        chunks.append(FileChunk(path, begin, offset, begin_line))
    return chunks, quoted


def read_lines(chunk: FileChunk) -> Iterator[Tuple[int, bytes]]:
    """(line number, line without its `\\n`) of every line in `chunk`, as `for line in file` would
    see them: a final line without a break counts, a trailing break adds no empty line. A `\\r`
    before the break is kept: CSV and users-file rules strip it differently."""
    if chunk.end == WHOLE_FILE:
        number, rest = 0, b""
        with FileSystems.open(chunk.path) as f:  # Decompresses by extension; not iterable.
            while True:
                block = f.read(_BLOCK)
                if not block:
                    break
                lines = (rest + block).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    number += 1
                    if number >= chunk.first_line:
                        yield number, line
        if rest and number + 1 >= chunk.first_line:
            yield number + 1, rest
        return
    with FileSystems.open(chunk.path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.seek(chunk.start)
        data = f.read(chunk.end - chunk.start)
    pieces = data.split(b"\n")
    if data.endswith(b"\n"):
        pieces.pop()
    for number, piece in enumerate(pieces, start=chunk.first_line):
        yield number, piece
