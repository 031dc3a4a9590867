"""Tests of components/batch_scorer/user_ids.py."""

import json

import pytest

from components.batch_scorer import user_ids as uid


@pytest.mark.parametrize("raw, kind", [
    (b"", uid.ERR_EMPTY), (b"   ", uid.ERR_EMPTY), (b"\xff\xfe", uid.ERR_UNDECODABLE),
    (b"x" * 300, uid.ERR_TOO_LONG), ("a\x00b", uid.ERR_CONTROL),
])
def test_bad_ids_get_a_reason(raw, kind):
    user, reason = uid.check_user_id(raw, max_bytes=256)
    assert user is None and reason.startswith(kind)


def test_good_ids_are_stripped_unicode():
    assert uid.check_user_id(" 196 ".encode(), 256) == ("196", "")
    assert uid.check_user_id("ユーザー", 256) == ("ユーザー", "")
    assert uid.check_user_id("ユーザー", 5)[0] is None  # 12 bytes in UTF-8.


def test_users_file_lines_skip_header_and_keep_numbers(tmp_path):
    path = tmp_path / "users.txt"
    path.write_bytes(b"user_id\r\nu1\r\n\xff\nu2")
    assert list(uid.iter_user_lines(str(path))) == [(2, b"u1"), (3, b"\xff"), (4, b"u2")]


def test_error_record_is_json_with_location():
    record = json.loads(uid.error_record("f.txt", 3, "empty_id: x", b"\xff" * 500))
    assert (record["file"] == "f.txt" and record["line"] == 3
            and len(record["raw"]) == uid.RAW_LIMIT)
