"""`recsys pipeline run`: evaluator sample flag, failure exit code and message."""

import argparse
import logging

from tfx_pipeline.cli import pipeline_cmd


def _args(tmp_path, *extra):
    parser = argparse.ArgumentParser()
    pipeline_cmd.add_arguments(parser)
    return parser.parse_args(["run", "--data", str(tmp_path / "data"), "--pipeline-root",
                              str(tmp_path / "root"), *extra])


def test_eval_users_sets_the_evaluator_sample(tmp_path):
    _, components = pipeline_cmd.build_configs(_args(tmp_path, "--eval-users", "500"))
    assert components["evaluator_config"].max_users == 500
    _, components = pipeline_cmd.build_configs(_args(tmp_path))
    assert "evaluator_config" not in components  # the pipeline's default (10,000)


def test_a_failed_component_exits_1_with_a_plain_message(tmp_path, monkeypatch, capsys):
    from tfx_pipeline import local_runner

    def failing_run(config, **_):
        (tmp_path / "root").mkdir(parents=True, exist_ok=True)
        logging.getLogger("absl").info("Component %s is running.", "trainer")
        raise RuntimeError("trainer exploded\nValueError: no users")

    monkeypatch.setattr(local_runner, "run", failing_run)
    assert pipeline_cmd.run(_args(tmp_path, "--serving-dir", str(tmp_path / "s"))) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("pipeline recsys FAILED in trainer after ")
    assert err[0].endswith("RuntimeError: ValueError: no users")
    assert err[-1] == "no model pushed: trainer failed"
    assert (tmp_path / "root" / "last_error.txt").read_text().startswith("Traceback")
