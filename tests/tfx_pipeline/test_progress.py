import io
import logging

from tfx_pipeline.progress import report_progress


def test_prints_start_end_and_cached_even_after_a_level_reset():
    out = io.StringIO()
    absl_logger = logging.getLogger("absl")
    with report_progress(out):
        absl_logger.info("Component %s is running.", "example_gen")
        absl_logger.info("A cached execution %d is used.", 3)
        absl_logger.info("Component %s is finished.", "example_gen")
        absl_logger.setLevel(logging.WARNING)  # what absl flag parsing does inside Beam executors
        absl_logger.info("Component %s is running.", "trainer")
        absl_logger.info("Component %s is finished.", "trainer")
    lines = out.getvalue().splitlines()
    assert [line.split("] ", 1)[1].split(" ")[:2] for line in lines] == [
        [">", "example_gen"], ["+", "example_gen"], [">", "trainer"], ["+", "trainer"]]
    assert lines[1].endswith("(cached)") and not lines[3].endswith("(cached)")
    assert "setLevel" not in absl_logger.__dict__


def test_info_records_reach_only_the_progress_lines(capsys):
    out = io.StringIO()
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.levelno)

    collector = Collect(level=logging.DEBUG)
    absl_logger = logging.getLogger("absl")
    absl_logger.addHandler(collector)
    try:
        with report_progress(out):
            absl_logger.info("Using deployment config: %s", "lots of text")
            absl_logger.warning("something worth seeing")
    finally:
        absl_logger.removeHandler(collector)
    assert seen == [logging.WARNING]
    assert out.getvalue() == ""
