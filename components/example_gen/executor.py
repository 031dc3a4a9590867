"""example_gen executor: a thin wrapper around `beam_ingest.IngestInteractions`."""

import logging
from typing import Any, Dict, List

from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact, artifact_utils

from components import common
from components.example_gen import beam_ingest, input_files
from components.example_gen.config import ExampleGenConfig
from rec_model.data import csv_records, prepare

EXAMPLES_KEY = "examples"
QUARANTINE_KEY = "quarantine"
INPUT_BASE_KEY = "input_base"
CONFIG_KEY = "config_json"


class Executor(base_beam_executor.BaseBeamExecutor):
    """Reads the canonical folder, writes split tf.Examples and quarantined rows."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        config = ExampleGenConfig.from_json(exec_properties.get(CONFIG_KEY, ""))
        files = input_files.find_interaction_files(exec_properties[INPUT_BASE_KEY])
        examples = artifact_utils.get_single_instance(output_dict[EXAMPLES_KEY])
        quarantine = artifact_utils.get_single_instance(output_dict[QUARANTINE_KEY])

        n_buckets = beam_ingest.bucket_count(input_files.total_bytes(files))
        clock = common.Stopwatch()
        with self._make_beam_pipeline() as pipeline:
            _ = pipeline | "Ingest" >> beam_ingest.IngestInteractions(
                files, examples.uri, quarantine.uri, config, n_buckets
            )

        counts = beam_ingest.read_counts(quarantine.uri)
        examples.split_names = artifact_utils.encode_split_names(list(beam_ingest.SPLITS))
        examples.span = config.span
        for name, value in counts.items():
            examples.set_int_custom_property(name, value)
        quarantine.set_int_custom_property("count", counts["rows_quarantined"])
        unread = sorted({c for path in files
                         for c in prepare.unread_columns(csv_records.read_header(path))})
        common.log_throughput(
            "example_gen", counts["rows_read"], "rows", clock.seconds,
            f"train {counts['rows_train']:,}, eval {counts['rows_eval']:,}, quarantined "
            f"{counts['rows_quarantined']:,}"
            + (f"; columns {prepare.unread_columns_note(unread)}" if unread else ""))
        logging.info("example_gen: quarantined rows (if any) under %s", quarantine.uri)
