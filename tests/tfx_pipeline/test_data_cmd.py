"""`recsys data ...` through the CLI entry point."""

import hashlib
import zipfile

import pytest

from tfx_pipeline.cli.main import main


def test_synth_then_validate_then_prepare_csv(tmp_path, capsys):
    syn, out = tmp_path / "syn", tmp_path / "out"
    assert main(["data", "synth", "--users", "30", "--items", "40", "--interactions", "300",
                 "--topics", "4", "--seed", "2", "--out", str(syn)]) == 0
    printed = capsys.readouterr().out
    assert "interactions: 300" in printed and "users: 30" in printed
    assert main(["data", "validate", "--input", str(syn)]) == 0
    assert "read        300" in capsys.readouterr().out
    assert main(["data", "prepare", "--source", "csv", "--input", str(syn),
                 "--out", str(out)]) == 0
    assert (out / "interactions.csv").read_bytes() == (syn / "interactions.csv").read_bytes()
    assert (out / "quarantine.jsonl").read_text() == ""


def test_validate_reports_quarantine_and_exit_code(tmp_path, capsys):
    (tmp_path / "items.csv").write_text("item_id,title\na,A\n")
    (tmp_path / "interactions.csv").write_text("user_id,item_id,timestamp\nu,a,1\nu,a,nope\n")
    assert main(["data", "validate", "--input", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "interactions.csv/bad_timestamp: 1" in out and "interactions.csv:3:" in out


def test_prepare_writes_time_zero_for_a_folder_without_timestamps(tmp_path, capsys):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "items.csv").write_text("item_id,title\na,A\nb,B\n")
    (src / "interactions.csv").write_text("item_id,user_id,rating\na,u,2\nb,u,\n")
    assert main(["data", "prepare", "--source", "csv", "--input", str(src),
                 "--out", str(out)]) == 0
    assert (out / "interactions.csv").read_text() == (
        "user_id,item_id,timestamp,rating\nu,a,0,2\nu,b,0,\n")


def test_prepare_and_validate_name_the_columns_they_do_not_read(tmp_path, capsys):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "items.csv").write_text("item_id,title\na,A\n")
    (src / "interactions.csv").write_text("user_id,item_id,plays,Country\nu,a,310,fr\n")
    assert main(["data", "validate", "--input", str(src)]) == 0
    assert "ignored_columns:" in capsys.readouterr().out
    assert main(["data", "prepare", "--source", "csv", "--input", str(src),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    line = next(row for row in printed.splitlines() if row.startswith("ignored_columns:"))
    assert "plays, country" in line and "'rating'" in line and "interactions.csv" in line
    assert (out / "interactions.csv").read_text() == "user_id,item_id,timestamp\nu,a,0\n"


def test_a_folder_of_read_columns_reports_none_ignored(tmp_path, capsys):
    (tmp_path / "items.csv").write_text("item_id,title,year\na,A,1999\n")
    (tmp_path / "interactions.csv").write_text("rating,item_id,user_id,timestamp\n4,a,u,1\n")
    assert main(["data", "validate", "--input", str(tmp_path)]) == 0
    assert "ignored_columns" not in capsys.readouterr().out


def test_bad_header_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "items.csv").write_text("item_id,title\na,A\n")
    (tmp_path / "interactions.csv").write_text("user,item_id,timestamp\n")
    assert main(["data", "prepare", "--source", "csv", "--input", str(tmp_path),
                 "--out", str(tmp_path / "o")]) == 2
    assert "'user_id'" in capsys.readouterr().err


def test_prepare_movielens_tiny(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "u.genre").write_text("unknown|0\nAction|1\n")
    (raw / "u.item").write_text("1|Heat (1995)|x||y|0|1\n")
    (raw / "u.data").write_text("1\t1\t4\t881250949\n")
    assert main(["data", "prepare", "--source", "movielens-100k", "--input", str(raw),
                 "--out", str(tmp_path / "o")]) == 0
    assert "interactions: 1" in capsys.readouterr().out
    assert (tmp_path / "o" / "items.csv").read_text().splitlines()[1] == "1,Heat (1995),Action"


def test_download_checksum_mismatch_exit_code(tmp_path, capsys, monkeypatch):
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ml-100k/u.data", "1\t1\t5\t1\n")
    url = archive.as_uri()  # file:// keeps the test off the network.
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert main(["data", "download", "movielens-100k", "--out", str(tmp_path / "d"),
                 "--url", url, "--sha256", "ab" * 32]) == 2
    assert "SHA-256 mismatch" in capsys.readouterr().err
    assert main(["data", "download", "movielens-100k", "--out", str(tmp_path / "d"),
                 "--url", url, "--sha256", digest]) == 0
    assert "recsys data prepare --source movielens-100k" in capsys.readouterr().out


def test_help_and_missing_action(capsys):
    with pytest.raises(SystemExit):
        main(["data"])
    with pytest.raises(SystemExit) as e:
        main(["data", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert all(a in out for a in ("prepare", "download", "synth", "validate"))
