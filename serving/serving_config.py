"""Write the production configuration TF Serving reads: models.config + batching_parameters.txt."""

import pathlib

from serving import model_config
from serving.batching_config import BatchingParameters

MODELS_CONFIG = "models.config"
BATCHING_FILE = "batching_parameters.txt"
MONITORING_CONFIG = "monitoring.config"
MONITORING_TEXT = ('prometheus_config {\n  enable: true\n'
                   '  path: "/monitoring/prometheus/metrics"\n}\n')


def write_serving_config(models, out_dir, batching: BatchingParameters = None) -> dict:
    """Writes TF Serving's config files and checks they parse back to the same thing.

    Always writes models.config and monitoring.config (Prometheus on the REST port, the path
    this package's server uses too); batching_parameters.txt when `batching` is given.

    Args:
        models: [ServedModel] (name, base path as seen by the server, version policy).
        out_dir: folder to write into (created).
        batching: BatchingParameters, or None for no batching file.

    Returns:
        {"models_config": path, "batching_parameters": path or None, "monitoring_config": path,
         "flags": [server flags, with <dir> standing for where the files are mounted]}.
    """
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = model_config.to_text(models)
    if model_config.parse_text(text, MODELS_CONFIG) != list(models):
        raise AssertionError("models.config does not round-trip; please report this bug")
    config_path = out / MODELS_CONFIG
    config_path.write_text(text, encoding="utf-8")
    monitoring_path = out / MONITORING_CONFIG
    monitoring_path.write_text(MONITORING_TEXT, encoding="utf-8")
    flags = [f"--model_config_file=<dir>/{MODELS_CONFIG}",
             f"--monitoring_config_file=<dir>/{MONITORING_CONFIG}"]
    batching_path = None
    if batching is not None:
        batching_text = batching.to_text()
        if BatchingParameters.from_text(batching_text) != batching:
            raise AssertionError("batching parameters do not round-trip; please report this bug")
        batching_path = out / BATCHING_FILE
        batching_path.write_text(batching_text, encoding="utf-8")
        flags += ["--enable_batching=true", f"--batching_parameters_file=<dir>/{BATCHING_FILE}"]
    return {"models_config": config_path, "batching_parameters": batching_path,
            "monitoring_config": monitoring_path, "flags": flags}
