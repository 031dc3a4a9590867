"""Output written by the workers as part files, then joined into the one output file.

Beam's `WriteToText(num_shards=1)` sends every line through one GroupByKey to one writer; on
the DirectRunner that shuffle holds all output in the runner's memory (hundreds of MB for a
million users). Instead each scored block is written by the worker that scored it, to a part
file named after the block key (written under a temporary name and renamed, so a retried
bundle overwrites rather than duplicates), and one last step concatenates the parts in key
order, streaming, and deletes them.
"""

import os
import uuid
from typing import List

from apache_beam.io.filesystems import FileSystems

_COPY_BYTES = 8 << 20


def parts_dir_for(out_path: str) -> str:
    """A fresh folder next to `out_path` for this job's part files."""
    head, tail = os.path.split(out_path)
    return FileSystems.join(head or ".", f".{tail}.parts-{uuid.uuid4().hex[:12]}")


def list_parts(parts_dir: str) -> List[str]:
    """The finished part files in `parts_dir` (none when it does not exist)."""
    if not FileSystems.exists(parts_dir):
        return []
    found = FileSystems.match([FileSystems.join(parts_dir, "*.jsonl")])[0].metadata_list
    return [m.path for m in found]


def write_part(parts_dir: str, key: str, text: str) -> str:
    """Writes `text` to `<parts_dir>/<key>.jsonl` atomically; returns that path."""
    final = FileSystems.join(parts_dir, f"{key}.jsonl")
    temp = FileSystems.join(parts_dir, f".{key}.{uuid.uuid4().hex[:8]}.tmp")
    with FileSystems.create(temp) as f:
        f.write(text.encode("utf-8"))
    if FileSystems.exists(final):
        FileSystems.delete([final])
    FileSystems.rename([temp], [final])
    return final


def concatenate(parts: List[str], out_path: str, parts_dir: str) -> str:
    """Joins `parts` (sorted by name) into `out_path` (created even when there are none) and
    deletes `parts_dir`."""
    with FileSystems.create(out_path) as out:
        for part in sorted(parts):
            with FileSystems.open(part) as f:
                while True:
                    data = f.read(_COPY_BYTES)
                    if not data:
                        break
                    out.write(data)
    if FileSystems.exists(parts_dir):
        FileSystems.delete([parts_dir])
    return out_path
