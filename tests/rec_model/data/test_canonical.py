"""Reading the canonical folder: every malformed-row kind is quarantined with its line."""

import json

import pytest

from rec_model.data import canonical, csv_records
from rec_model.data.canonical import Interaction, Item, Quarantined, iter_interactions, read_items

HEADER = b"user_id,item_id,timestamp,rating\n"


def _write(tmp_path, name, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _split(results):
    good = [r for r in results if isinstance(r, Interaction)]
    bad = [r for r in results if isinstance(r, Quarantined)]
    assert len(good) + len(bad) == len(results)
    return good, bad


# (row bytes, expected reason kind)
MALFORMED = [
    (b"u1,i1,5\n", "field_count"),
    (b"u1,i1,5,3,extra\n", "field_count"),
    (b",i1,5,3\n", "empty_id"),
    (b"u1,  ,5,3\n", "empty_id"),
    (b"u1,i1,yesterday,3\n", "bad_timestamp"),
    (b"u1,i1,-5,3\n", "bad_timestamp"),
    (b"u1,i1,1600000000000,3\n", "bad_timestamp"),
    (b"u1,i1,,3\n", "bad_timestamp"),
    (b"u1,i1,5,nan\n", "bad_rating"),
    (b"u1,i1,5,inf\n", "bad_rating"),
    (b"u1,i1,5,-Infinity\n", "bad_rating"),
    (b"u1,i1,5,good\n", "bad_rating"),
    (b"u\xff1,i1,5,3\n", "invalid_utf8"),
    (b"u1,i1,5,3\xc3\n", "invalid_utf8"),
    (b"u1,i1,5," + b"9" * (csv_records.MAX_FIELD_BYTES + 1) + b"\n", "field_too_large"),
    (b"user_id,item_id,timestamp,rating\n", "repeated_header"),
]


@pytest.mark.parametrize("row,kind", MALFORMED,
                         ids=[k + str(i) for i, (_, k) in enumerate(MALFORMED)])
def test_each_malformed_kind_is_quarantined_on_its_line(tmp_path, row, kind):
    path = _write(tmp_path, "interactions.csv", HEADER + b"u0,i0,10,4\n" + row + b"u2,i2,20,5\n")
    good, bad = _split(list(iter_interactions(path)))
    assert [(g.user_id, g.timestamp) for g in good] == [("u0", 10), ("u2", 20)]
    assert len(bad) == 1
    assert bad[0].kind == kind, bad[0].reason
    assert bad[0].line == 3
    assert bad[0].file == path
    assert len(bad[0].raw) <= csv_records.RAW_CHARS


def test_all_kinds_together_good_plus_quarantined_equals_rows(tmp_path):
    rows = [b"u0,i0,10,4\n"] + [row for row, _ in MALFORMED] + [b"u9,i9,99,1\n"]
    path = _write(tmp_path, "interactions.csv", HEADER + b"".join(rows))
    good, bad = _split(list(iter_interactions(path)))
    assert len(good) == 2 and len(bad) == len(MALFORMED)
    assert len(good) + len(bad) == canonical.count_data_lines(path) == len(rows)
    assert [q.line for q in bad] == list(range(3, 3 + len(MALFORMED)))
    assert [q.kind for q in bad] == [kind for _, kind in MALFORMED]


def test_bom_crlf_column_order_extra_columns_and_iso_timestamps(tmp_path):
    data = ("\ufefftimestamp, Rating ,comment,ITEM_ID,user_id\r\n"
            "881250949,3,hello,i1,u1\r\n"
            "2020-01-01T00:00:00Z,,x,i2,u2\r\n"
            "2020-01-01 01:00:00+01:00,4.5,x,i3,u3\r\n"
            "\r\n"
            "1997-12-04,1,x, i4 , u4\r\n").encode()
    path = _write(tmp_path, "interactions.csv", data)
    assert list(iter_interactions(path)) == [
        Interaction("u1", "i1", 881250949, 3.0),
        Interaction("u2", "i2", 1577836800, None),
        Interaction("u3", "i3", 1577836800, 4.5),
        Interaction("u4", "i4", 881193600, 1.0),
    ]


def test_rating_column_is_optional(tmp_path):
    path = _write(tmp_path, "interactions.csv", b"user_id,item_id,timestamp\nu1,i1,5\n")
    assert list(iter_interactions(path)) == [Interaction("u1", "i1", 5, None)]


def test_timestamp_column_is_optional_rows_get_the_unknown_time(tmp_path):
    path = _write(tmp_path, "interactions.csv",
                  b"item_id,user_id\ni1,u1\n\"i2\",u1\nitem_id,user_id\n,u2\n")
    good, bad = _split(list(iter_interactions(path)))
    assert good == [Interaction("u1", "i1", canonical.UNKNOWN_TIMESTAMP, None),
                    Interaction("u1", "i2", canonical.UNKNOWN_TIMESTAMP, None)]
    assert [(q.line, q.kind) for q in bad] == [(4, "repeated_header"), (5, "empty_id")]


def test_missing_required_column_names_file_and_column(tmp_path):
    path = _write(tmp_path, "interactions.csv", b"user,item_id,timestamp\nu1,i1,5\n")
    with pytest.raises(ValueError, match=r"interactions\.csv.*'user_id'.*rename or add"):
        list(iter_interactions(path))
    empty = _write(tmp_path, "empty.csv", b"")
    with pytest.raises(ValueError, match="empty"):
        list(iter_interactions(empty))


def test_line_numbers_after_quoted_newlines(tmp_path):
    data = (b'user_id,item_id,timestamp\n'
            b'"u1","i\n1",5\n'          # lines 2-3: one record with a quoted newline
            b'u2,i2,bad\n'               # line 4
            b'"u3","multi\nline\nid",6\n'  # lines 5-7
            b'u4,i4,bad\n')              # line 8
    path = _write(tmp_path, "interactions.csv", data)
    results = list(iter_interactions(path))
    assert results[0] == Interaction("u1", "i\n1", 5, None)
    assert [(r.line, r.kind) for r in results if isinstance(r, Quarantined)] == [
        (4, "bad_timestamp"), (8, "bad_timestamp")]


def test_oversized_record_is_not_buffered_whole_and_reading_goes_on(tmp_path):
    huge = b"u1,i1,5,\"" + b"x" * (csv_records.MAX_RECORD_BYTES + 10) + b"\"\n"
    path = _write(tmp_path, "interactions.csv", HEADER + huge + b"u2,i2,6,1\n")
    good, bad = _split(list(iter_interactions(path)))
    assert [q.kind for q in bad] == ["field_too_large"] and bad[0].line == 2
    assert len(bad[0].raw) <= csv_records.RAW_CHARS
    assert good == [Interaction("u2", "i2", 6, 1.0)]


def test_quarantined_json_round_trip():
    q = Quarantined("f.csv", 7, "bad_rating: 'x' is not a number", "u1,i1,5,x\u00e9")
    line = q.to_json()
    assert "\n" not in line and json.loads(line)["line"] == 7
    assert Quarantined.from_json(line) == q


ITEMS = (b'item_id,title,genres,description,director\n'
         b'1,"Toy Story (1995)",Animation|Children\'s|Comedy,'
         b'"A toy\'s tale,\nwith a newline.",Lasseter\n'
         b'2,Heat,,,\n'
         b',No id,Drama,,\n'
         b'3,Broken\n'
         b'4,"Quote ""inside""",Drama,Fine!,\n')


def test_read_items_text_and_quarantine(tmp_path):
    path = _write(tmp_path, "items.csv", ITEMS)
    items, bad = read_items(path)
    assert items == [
        Item("1", "Toy Story (1995)",
             "Toy Story (1995). Animation, Children's, Comedy. A toy's tale,\nwith a newline. "
             "Lasseter"),
        Item("2", "Heat", "Heat"),
        Item("4", 'Quote "inside"', 'Quote "inside". Drama. Fine!'),
    ]
    assert [(q.line, q.kind) for q in bad] == [(5, "empty_id"), (6, "field_count")]
    assert len(items) + len(bad) == canonical.count_data_lines(path)


def test_read_items_duplicates_name_ids_and_lines(tmp_path):
    path = _write(tmp_path, "items.csv", b"item_id,title\n1,a\n2,b\n1,c\n2,d\n")
    with pytest.raises(ValueError, match=r"'1' \(lines 2 and 4\).*'2' \(lines 3 and 5\)"):
        read_items(path)


def test_read_items_missing_title_column(tmp_path):
    path = _write(tmp_path, "items.csv", b"item_id,name\n1,a\n")
    with pytest.raises(ValueError, match=r"items\.csv.*'title'"):
        read_items(path)


def test_unterminated_quote_is_one_quarantined_record(tmp_path):
    path = _write(tmp_path, "items.csv", b'item_id,title\n1,ok\n2,"never closed\n3,x\n')
    items, bad = read_items(path)
    assert [i.item_id for i in items] == ["1"]
    assert [(q.line, q.kind) for q in bad] == [(3, "unterminated_quote")]


def test_streaming_reads_lazily(tmp_path):
    path = _write(tmp_path, "interactions.csv", HEADER + b"u1,i1,5,1\n" * 1000)
    it = iter_interactions(path)
    assert next(it) == Interaction("u1", "i1", 5, 1.0)
    it.close()


def test_large_quoted_multiline_field_keeps_following_line_numbers(tmp_path):
    big = (b"w" * 999 + b"\n") * (csv_records.MAX_FIELD_BYTES // 1000 + 10)  # > 1 MiB, many lines
    data = b'item_id,title,description\n1,ok,fine\n2,big,"' + big + b'"\n3,after,x\n,bad,x\n'
    path = _write(tmp_path, "items.csv", data)
    items, bad = read_items(path)
    assert [i.item_id for i in items] == ["1", "3"]
    n_big_lines = big.count(b"\n") + 1
    assert [(q.line, q.kind) for q in bad] == [(3, "field_too_large"),
                                               (4 + n_big_lines, "empty_id")]
