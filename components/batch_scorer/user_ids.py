"""Validation of user ids read for batch scoring, and reading a users file.

A users file has one user id per line (UTF-8); an optional first line `user_id` is a
header. Bad ids are never fatal: they come back as error records
`{"file", "line", "reason", "raw"}` (the same shape as example_gen's quarantine).
"""

import json
from typing import Iterator, Optional, Tuple, Union

from rec_model import features as F

ERR_EMPTY = "empty_id"
ERR_TOO_LONG = "too_long"
ERR_UNDECODABLE = "undecodable"
ERR_CONTROL = "control_characters"
RAW_LIMIT = 200


def check_user_id(raw: Union[bytes, str], max_bytes: int) -> Tuple[Optional[str], str]:
    """Validates one raw user id (surrounding whitespace stripped).

    Returns:
        (user id, "") when good, else (None, "kind: detail").
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            return None, f"{ERR_UNDECODABLE}: not valid UTF-8 at byte {e.start}"
    else:
        text = raw
    text = text.strip()
    if not text:
        return None, f"{ERR_EMPTY}: the user id is empty"
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        return None, (f"{ERR_TOO_LONG}: {size} bytes > {max_bytes} "
                      "(BatchScoreConfig.max_user_id_bytes)")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None, f"{ERR_CONTROL}: the user id contains control characters"
    return text, ""


def error_record(file: str, line: int, reason: str, raw: Union[bytes, str]) -> str:
    """One JSON line for the errors file."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return json.dumps({"file": file, "line": line, "reason": reason, "raw": raw[:RAW_LIMIT]},
                      ensure_ascii=False)


def iter_user_lines(path: str) -> Iterator[Tuple[int, bytes]]:
    """(1-based line number, raw bytes without the line break) of a users file (any Beam file
    system)."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip(b"\r\n")
            if number == 1 and line.strip() == F.USER_ID.encode():
                continue  # Header.
            yield number, line
