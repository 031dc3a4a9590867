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


def test_component_rates_join_the_end_line_and_do_not_reach_other_handlers():
    from components.common import PROGRESS_LOGGER, log_throughput

    out = io.StringIO()
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    root = logging.getLogger()
    collector = Collect(level=logging.DEBUG)
    root.addHandler(collector)
    absl_logger = logging.getLogger("absl")
    try:
        with report_progress(out) as handler:
            absl_logger.info("Component %s is running.", "example_gen")
            log_throughput("example_gen", 400_000, "rows", 8.0)
            absl_logger.info("Component %s is finished.", "example_gen")
            absl_logger.info("Component %s is running.", "trainer")
            assert handler.running == "trainer"  # what a failure message names
    finally:
        root.removeHandler(collector)
    lines = out.getvalue().splitlines()
    assert lines[1].endswith("+ example_gen " + lines[1].split(" + example_gen ")[1])
    assert lines[1].endswith(": 400,000 rows in 8.0s (50,000 rows/s)")
    assert seen == [] and logging.getLogger(PROGRESS_LOGGER).propagate


def test_known_framework_noise_is_dropped_and_nothing_else():
    tf_logger, absl_logger = logging.getLogger("tensorflow"), logging.getLogger("absl")
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    collector = Collect(level=logging.DEBUG)
    for logger in (tf_logger, absl_logger):
        logger.addHandler(collector)
    try:
        with report_progress(io.StringIO()):
            absl_logger.warning("ArtifactQuery.property_predicate is not supported.")
            tf_logger.warning("Skipping full serialization of TF-Keras layer <X>, because it is "
                              "not built.")
            tf_logger.warning("Skipping something else")
            absl_logger.error("ArtifactQuery.property_predicate is not supported.")  # errors pass
        tf_logger.warning("Skipping full serialization of TF-Keras layer <Y>")  # after: shown
    finally:
        for logger in (tf_logger, absl_logger):
            logger.removeHandler(collector)
    assert seen == ["Skipping something else",
                    "ArtifactQuery.property_predicate is not supported.",
                    "Skipping full serialization of TF-Keras layer <Y>"]
