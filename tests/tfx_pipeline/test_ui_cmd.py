"""Tests of `recsys ui` (tfx_pipeline/cli/ui_cmd.py)."""

import argparse
import socket

from tfx_pipeline.cli import main, ui_cmd


def _args(*argv):
    parser = argparse.ArgumentParser()
    ui_cmd.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_flags_become_the_config():
    config = ui_cmd.config_from_args(
        _args(
            "--pipeline-root",
            "r",
            "--server",
            "127.0.0.1:8500",
            "--model-name",
            "m",
            "--feedback-dir",
            "f",
            "--port",
            "0",
        )
    )
    assert (
        config.pipeline_root,
        config.server,
        config.model_name,
        config.feedback_dir,
        config.port,
    ) == ("r", "127.0.0.1:8500", "m", "f", 0)
    assert config.host == "127.0.0.1"  # loopback unless asked


def test_listed_and_bad_flags_exit_2(capsys):
    assert main.main(["--help"]) == 0
    assert "ui " in capsys.readouterr().out
    assert main.main(["ui"]) == 2
    assert "--pipeline-root" in capsys.readouterr().out


def test_a_busy_port_is_reported(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main.main(["ui", "--pipeline-root", str(tmp_path), "--port", str(port)]) == 2
    assert "pick another --port" in capsys.readouterr().out
