"""evaluator executor: metrics of candidate, baseline and popularity -> ModelBlessing +
ModelEvaluation."""

import json
import logging
import os
from typing import Any, Dict, List

import tensorflow as tf
from tfx.dsl.components.base import base_executor
from tfx.types import artifact, artifact_utils

from components import common
from components.evaluator import blessing as blessing_lib
from components.evaluator import metrics, model_eval, model_io
from components.evaluator.config import EvaluatorConfig
from components.evaluator.eval_data import EvalSet

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
BASELINE_MODEL_KEY = "baseline_model"
BLESSING_KEY = "blessing"
EVALUATION_KEY = "evaluation"
CONFIG_KEY = "config_json"
METRICS_FILE = "metrics.json"
# File names and custom properties as TFX's Evaluator writes them (LatestBlessedModelStrategy
# reads them).
BLESSED_FILE, NOT_BLESSED_FILE = "BLESSED", "NOT_BLESSED"
BLESSED_PROPERTY = "blessed"
CURRENT_MODEL_PROPERTY, CURRENT_MODEL_ID_PROPERTY = "current_model", "current_model_id"
BASELINE_MODEL_PROPERTY, BASELINE_MODEL_ID_PROPERTY = "baseline_model", "baseline_model_id"
MESSAGE_PROPERTY = "blessing_message"


def _evaluate(model_artifact, data, config) -> Dict:
    """Metrics of one Model artifact, or {"error": ...} when it cannot be loaded or called."""
    try:
        model = model_io.ServingSignatures(model_io.eval_model_dir(model_artifact.uri))
        return model_eval.model_metrics(model, data, config)
    except (OSError, ValueError, tf.errors.OpError) as err:
        logging.exception("evaluator: model at %s could not be evaluated", model_artifact.uri)
        return {"error": f"{type(err).__name__}: {err}"[:2000], "uri": model_artifact.uri}


class Executor(base_executor.BaseExecutor):
    """Evaluates the candidate (and the baseline) in process and writes the blessing."""

    def Do(
        self,
        input_dict: Dict[str, List[artifact.Artifact]],
        output_dict: Dict[str, List[artifact.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        config = EvaluatorConfig.from_json(exec_properties.get(CONFIG_KEY, ""))
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        baselines = input_dict.get(BASELINE_MODEL_KEY) or []
        blessing = artifact_utils.get_single_instance(output_dict[BLESSING_KEY])
        evaluations = output_dict.get(EVALUATION_KEY) or []

        clock = common.Stopwatch()
        data = EvalSet.from_examples(examples.uri, config.max_users, config.seed)
        sample = {"users_evaluated": len(data.users), "users_total": data.users_total,
                  "seed": data.seed, "max_users": config.max_users,
                  "confidence": config.confidence}
        report = {"config": json.loads(config.to_json()), "users": len(data.users),
                  "users_evaluated": len(data.users), "users_total": data.users_total,
                  "sample": sample, "catalogue": len(data.catalogue),
                  "popularity": metrics.popularity_metrics(data, config.ks, config.confidence,
                                                           keep_per_user=True),
                  "candidate": _evaluate(model, data, config), "baseline": None}
        baseline = baselines[0] if baselines else None
        if baseline is not None and baseline.uri == model.uri:
            # The resolver found the candidate itself (a re-run): nothing to compare.
            baseline = None
        if baseline is not None:
            report["baseline"] = _evaluate(baseline, data, config)
            if "error" in report["baseline"]:
                logging.warning("evaluator: baseline unusable (%s); gating against popularity",
                                report["baseline"]["error"])

        if "error" in report["candidate"]:
            blessed, reason = False, ("NOT blessed: candidate could not be evaluated: "
                                      f"{report['candidate']['error']}")
        else:
            usable = (report["baseline"]
                      if report["baseline"] and "error" not in report["baseline"] else None)
            blessed, reason = blessing_lib.decide_blessing(
                report["candidate"], usable, report["popularity"], config, sample)
        for role in ("candidate", "baseline", "popularity"):
            (report[role] or {}).pop(metrics.PER_USER, None)  # numpy, and 10k values each
        report.update(blessed=blessed, reason=reason)
        text = json.dumps(report, indent=2, sort_keys=True)

        for out in [blessing] + list(evaluations):
            tf.io.gfile.makedirs(out.uri)
            with tf.io.gfile.GFile(os.path.join(out.uri, METRICS_FILE), "w") as f:
                f.write(text)
        with tf.io.gfile.GFile(
                os.path.join(blessing.uri, BLESSED_FILE if blessed else NOT_BLESSED_FILE),
                "w") as f:
            f.write("")
        blessing.set_int_custom_property(BLESSED_PROPERTY, 1 if blessed else 0)
        blessing.set_string_custom_property(MESSAGE_PROPERTY, reason)
        blessing.set_string_custom_property(CURRENT_MODEL_PROPERTY, model.uri)
        blessing.set_int_custom_property(CURRENT_MODEL_ID_PROPERTY, model.id)
        if baseline is not None:
            blessing.set_string_custom_property(BASELINE_MODEL_PROPERTY, baseline.uri)
            blessing.set_int_custom_property(BASELINE_MODEL_ID_PROPERTY, baseline.id)
        _record_metrics(blessing, report)
        for evaluation in evaluations:
            _record_metrics(evaluation, report)
        logging.info("evaluator: %s", reason)
        n_models = 1 + (report["baseline"] is not None)
        common.log_throughput("evaluator", len(data.users) * n_models, "user rankings",
                              clock.seconds, f"{len(data.users):,} of {data.users_total:,} "
                              f"users, {n_models} model(s) + popularity")


def _record_metrics(out: artifact.Artifact, report: Dict) -> None:
    """Gating numbers as float custom properties (visible in ML Metadata and the KFP UI)."""
    metric = report["config"]["metric"]
    for role in ("candidate", "baseline", "popularity"):
        values = report.get(role) or {}
        if metric in values:
            key = f"{role}_{metric.replace('@', '_at_')}"
            out.set_float_custom_property(key, float(values[metric]))
            low, high = (values.get("ci") or {}).get(metric) or (None, None)
            if low is not None and high is not None:
                out.set_float_custom_property(f"{key}_ci_low", float(low))
                out.set_float_custom_property(f"{key}_ci_high", float(high))
    out.set_int_custom_property("users_evaluated", int(report["users_evaluated"]))
    out.set_int_custom_property("users_total", int(report["users_total"]))
