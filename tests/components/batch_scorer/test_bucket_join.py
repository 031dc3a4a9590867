"""Tests of components/batch_scorer/bucket_join.py: the seen pairs that reach the shuffle."""

import json
import os

from components.batch_scorer import bucket_join, file_chunks, seen_pairs

ROWS = ("user_id,item_id,timestamp\n"
        "u1,i1,1700000000\nu2,i2,1700000000\nu3,i3,1700000000\nu1,i4,1700000000\n")


def _units(path):
    layout = seen_pairs.read_layout(path)
    chunks, _ = file_chunks.scan(path, target=16, start=layout.data_start,
                                 first_line=layout.data_line)
    return [bucket_join.SeenUnit(bucket_join.SEEN_CSV_RANGE, c, layout) for c in chunks]


def _pairs(dofn, units):
    dofn.setup()
    pairs = []
    for unit in units:
        for _, (kind, packed) in dofn.process(unit):
            assert kind == bucket_join.SEEN
            pairs += zip(*json.loads(packed))
    return sorted(pairs)


def test_seen_pairs_of_users_not_asked_for_leave_before_the_shuffle(tmp_path):
    data = tmp_path / "interactions.csv"
    data.write_text(ROWS)
    users = tmp_path / "users.txt"
    users.write_text("user_id\nu1\n\nu3\n" + "x" * 300 + "\n")  # header, blank, too long
    units = _units(str(data))
    everyone = bucket_join._SeenToBuckets(4)
    asked = bucket_join._SeenToBuckets(4, str(users), max_bytes=256)
    assert _pairs(everyone, units) == [("u1", "i1"), ("u1", "i4"), ("u2", "i2"), ("u3", "i3")]
    assert _pairs(asked, units) == [("u1", "i1"), ("u1", "i4"), ("u3", "i3")]


def test_wanted_users_are_read_again_when_the_file_changes(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("u1\n")
    assert bucket_join.wanted_users(str(users), 256) == {"u1"}
    users.write_text("u1\nu2\n")
    os.utime(users, (1, 1))
    assert bucket_join.wanted_users(str(users), 256) == {"u1", "u2"}
    bucket_join.forget_wanted_users()
