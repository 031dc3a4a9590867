"""batch_scorer executor: scores every user of an Examples artifact with a trained Model."""

import logging
import os
from typing import Any, Dict, List

from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact, artifact_utils

from components.batch_scorer import beam_score, model_path, scoring_job
from components.batch_scorer.config import BatchScoreConfig

MODEL_KEY = "model"
EXAMPLES_KEY = "examples"
INFERENCE_RESULT_KEY = "inference_result"
CONFIG_KEY = "config_json"
RECOMMENDATIONS_FILE = "recommendations.jsonl"
ERRORS_FILE = "errors.jsonl"


class Executor(base_beam_executor.BaseBeamExecutor):
    """Writes `<inference_result>/recommendations.jsonl` (one line per user of the examples,
    seen train-split items excluded) and `errors.jsonl`; counts as custom properties."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        config = BatchScoreConfig.from_json(exec_properties.get(CONFIG_KEY, ""))
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        result = artifact_utils.get_single_instance(output_dict[INFERENCE_RESULT_KEY])
        saved_model_dir = model_path.resolve_saved_model(model.uri)
        model_path.check_signature(saved_model_dir)
        out = os.path.join(result.uri, RECOMMENDATIONS_FILE)
        errors = os.path.join(result.uri, ERRORS_FILE)
        # TFX's default pipeline would run locally on Prism, ignoring --direct_num_workers.
        if self._make_beam_pipeline_fn is not None:
            pipeline = self._make_beam_pipeline()
        else:
            pipeline = beam_score.make_pipeline(self._beam_pipeline_args)
        with pipeline:
            scoring_job.add_scoring(pipeline, saved_model_dir, scoring_job.ALL_USERS, out,
                                    errors, config, seen_from=examples.uri,
                                    seen_splits=[config.seen_split])
        scored, bad = beam_score.count_lines(out), beam_score.count_lines(errors)
        result.set_int_custom_property("users_scored", scored)
        result.set_int_custom_property("bad_user_ids", bad)
        result.set_int_custom_property("k", config.k)
        logging.info("batch_scorer: %d users scored, %d bad ids -> %s", scored, bad, out)
