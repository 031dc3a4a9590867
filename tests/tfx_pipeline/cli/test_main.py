"""`recsys` console entry: exit codes, and the teardown a command may skip."""

import logging
import os
import subprocess
import sys

import pytest

from tfx_pipeline.cli import batch_score_cmd, data_cmd, main as cli_main


class _Exited(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def _fake_exit(code):
    raise _Exited(code)


def test_skip_teardown_command_ends_with_os_exit_and_its_code(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["recsys", "batch-score", "--model", "m", "--users", "u",
                                      "--out", "o.jsonl"])
    monkeypatch.setattr(batch_score_cmd, "run", lambda args: print("summary") or 3)
    monkeypatch.setattr(os, "_exit", _fake_exit)
    flushed = []
    monkeypatch.setattr(logging, "shutdown", lambda: flushed.append(True))
    with pytest.raises(_Exited) as exited:
        cli_main.console_main()
    assert exited.value.code == 3
    assert flushed  # log handlers flushed before the process ends
    assert capsys.readouterr().out == "summary\n"


def test_other_commands_exit_normally(monkeypatch):
    assert not getattr(data_cmd, "SKIP_TEARDOWN", False)
    monkeypatch.setattr(sys, "argv", ["recsys", "data", "validate", "--input", "somewhere"])
    monkeypatch.setattr(data_cmd, "run", lambda args: 4)
    monkeypatch.setattr(os, "_exit", _fake_exit)
    with pytest.raises(SystemExit) as exited:
        cli_main.console_main()
    assert exited.value.code == 4


def test_unknown_command_is_a_usage_error(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["recsys", "no-such-command"])
    monkeypatch.setattr(os, "_exit", _fake_exit)
    with pytest.raises(SystemExit) as exited:
        cli_main.console_main()
    assert exited.value.code == 2


def test_fast_exit_keeps_the_error_message_and_code_when_piped(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("u1\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tfx_pipeline.cli.main", "batch-score", "--model",
         str(tmp_path / "missing"), "--users", str(users), "--out", str(tmp_path / "o.jsonl")],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2
    assert "recsys batch-score:" in done.stderr
    assert str(tmp_path / "missing") in done.stderr
