"""MovieLens-100K conversion and `prepare_csv` normalisation."""

import json
import os

import pytest

from rec_model.data.canonical import Interaction, Quarantined, iter_interactions, read_items
from rec_model.data.movielens import prepare_csv, prepare_movielens_100k, read_genres
from rec_model.data.prepare import validate_folder


def _tiny_raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "u.genre").write_text("unknown|0\nAction|1\nComedy|2\n\n")
    (raw / "u.item").write_bytes(
        "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1\n"
        "2|Mis\u00e9rables, Les (1995)|01-Jan-1995||http://y|0|1|1\n".encode("latin-1"))
    (raw / "u.data").write_text("196\t1\t3\t881250949\n186\t2\t5\t891717742\n")
    return raw


def test_tiny_raw_conversion(tmp_path):
    out = tmp_path / "out"
    counts = prepare_movielens_100k(str(_tiny_raw(tmp_path)), str(out))
    assert counts == {"interactions": 2, "items": 2, "users": 2}
    assert (out / "items.csv").read_text(encoding="utf-8").splitlines() == [
        "item_id,title,genres", "1,Toy Story (1995),Comedy",
        '2,"Mis\u00e9rables, Les (1995)",Action|Comedy']
    assert list(iter_interactions(str(out / "interactions.csv"))) == [
        Interaction("196", "1", 881250949, 3.0), Interaction("186", "2", 891717742, 5.0)]


def test_missing_raw_file_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="recsys data download movielens-100k"):
        prepare_movielens_100k(str(tmp_path), str(tmp_path / "out"))


@pytest.mark.integration
def test_real_movielens_100k(movielens_dir, tmp_path):
    out = tmp_path / "ml"
    counts = prepare_movielens_100k(str(movielens_dir), str(out))
    assert counts == {"interactions": 100_000, "items": 1_682, "users": 943}
    items, bad = read_items(str(out / "items.csv"))
    assert not bad and len(items) == 1_682
    toy = items[0]
    assert toy.item_id == "1" and toy.title == "Toy Story (1995)"
    assert "Animation, Children's, Comedy" in toy.text
    rows = list(iter_interactions(str(out / "interactions.csv")))
    assert len(rows) == 100_000 and all(isinstance(r, Interaction) for r in rows)
    assert rows[0] == Interaction("196", "242", 881250949, 3.0)
    # prepare_csv on the converted folder reproduces it byte for byte.
    again = prepare_csv(str(out), str(tmp_path / "again"))
    assert again["interactions"] == {"rows_read": 100_000, "rows_written": 100_000,
                                     "quarantined": 0}
    for name in ("items.csv", "interactions.csv"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def _user_folder(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "items.csv").write_bytes(
        b"\xef\xbb\xbfdirector,title,item_id,genres\r\nX,Alpha,a,Drama\r\nY,Beta,b,\r\n,,,\r\n")
    (src / "interactions.csv").write_bytes(
        b"item_id,user_id,extra,timestamp,rating\r\n"
        b"a,u1,zz,2020-01-01T00:00:00Z,4\r\n"
        b"b,u2,zz,100,\r\n"
        b"c,u3,zz,100,1\r\n"          # unknown item
        b"a,u4,zz,oops,1\r\n"         # bad timestamp
        b"a,u5,zz,100,2.5\r\n")
    return src


def test_prepare_csv_normalises_and_quarantines(tmp_path):
    src, out = _user_folder(tmp_path), tmp_path / "out"
    counts = prepare_csv(str(src), str(out))
    assert counts["items"] == {"rows_read": 3, "rows_written": 2, "quarantined": 1}
    assert counts["interactions"] == {"rows_read": 5, "rows_written": 3, "quarantined": 2}
    assert counts["quarantine_reasons"] == {"interactions.csv/bad_timestamp": 1,
                                           "interactions.csv/unknown_item": 1,
                                           "items.csv/empty_id": 1}
    assert (out / "items.csv").read_text().splitlines() == [
        "item_id,title,genres,director", "a,Alpha,Drama,X", "b,Beta,,Y"]
    assert (out / "interactions.csv").read_text().splitlines() == [
        "user_id,item_id,timestamp,rating", "u1,a,1577836800,4", "u2,b,100,", "u5,a,100,2.5"]
    quarantined = [Quarantined.from_json(line)
                   for line in (out / "quarantine.jsonl").read_text().splitlines()]
    assert [(os.path.basename(q.file), q.line, q.kind) for q in quarantined] == [
        ("items.csv", 4, "empty_id"), ("interactions.csv", 4, "unknown_item"),
        ("interactions.csv", 5, "bad_timestamp")]
    assert counts["quarantine_path"] == str(out / "quarantine.jsonl")
    json.dumps(counts)  # JSON-serialisable for logs.


def test_validate_folder_writes_nothing(tmp_path):
    src = _user_folder(tmp_path)
    before = sorted(os.listdir(src))
    counts = validate_folder(str(src))
    assert (counts["interactions"]["quarantined"] == 2
            and counts["interactions"]["rows_written"] == 0)
    assert sorted(os.listdir(src)) == before


def test_prepare_csv_refuses_in_place_and_missing_files(tmp_path):
    src = _user_folder(tmp_path)
    with pytest.raises(ValueError, match="input folder"):
        prepare_csv(str(src), str(src))
    with pytest.raises(FileNotFoundError, match="interactions.csv"):
        prepare_csv(str(tmp_path / "nowhere"), str(tmp_path / "o"))


def test_a_genre_index_of_a_non_ascii_digit_names_the_file_and_line(tmp_path):
    path = tmp_path / "u.genre"
    path.write_bytes(b"unknown|0\nAction|\xb2\n")  # latin-1: '\xb2' is a digit int() rejects
    with pytest.raises(ValueError, match=r"u.genre:2: expected 'name\|index'"):
        read_genres(str(path))
