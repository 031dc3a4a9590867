"""Files inside pipeline artifacts, read for the web app (local paths or any `tf.io.gfile` URI).

- Model: `model_card.json` (components/trainer/model_card.py; may hold NaN, kept as float);
- ModelEvaluation: `metrics.json` (components/evaluator): candidate, baseline, popularity;
- ModelRun: TensorBoard event files (components/trainer/tensorboard_logs.py), one folder per
  stage (`agents/train`, `gate/train`, ..., `eval`), read without the tensorboard package;
- TransformGraph: `transform_fn/assets/` vocabularies (train counts per item, known users).

Every reader returns None (or empty) when the file is absent: a run that failed half way
still has a page.
"""

import json
import os
import struct
from typing import Dict, List, Optional

from rec_model import features as F

# As components/trainer/model_card.py, not imported from there: that module builds TF ops.
MODEL_CARD_FILE = "model_card.json"
METRICS_FILE = "metrics.json"
VOCAB_DIR = os.path.join("transform_fn", "assets")
_HEADER = struct.Struct("<QI")  # TFRecord: uint64 length, uint32 masked CRC of the length.


def _gfile():
    import tensorflow as tf

    return tf.io.gfile


def read_json(path: str) -> Optional[dict]:
    """A JSON file as a dict; None when missing or not JSON (NaN/Infinity are accepted)."""
    gfile = _gfile()
    if not path or not gfile.exists(path):
        return None
    try:
        with gfile.GFile(path, "r") as f:
            data = json.loads(f.read())
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def model_card(model_uri: str) -> Optional[dict]:
    """The trainer's model card of a Model artifact."""
    return read_json(os.path.join(model_uri, MODEL_CARD_FILE)) if model_uri else None


def evaluation(evaluation_uri: str) -> Optional[dict]:
    """The evaluator's `metrics.json` of a ModelEvaluation (or ModelBlessing) artifact."""
    return read_json(os.path.join(evaluation_uri, METRICS_FILE)) if evaluation_uri else None


def _records(data: bytes):
    """Payloads of a TFRecord byte string; a record cut short by a live writer ends the walk."""
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, _ = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        end = start + length
        if end + 4 > len(data):
            return
        yield data[start:end]
        offset = end + 4


def _scalar(value) -> Optional[float]:
    import tensorflow as tf

    if value.HasField("tensor"):
        array = tf.make_ndarray(value.tensor)
        return float(array.reshape(-1)[0]) if array.size else None
    if value.WhichOneof("value") == "simple_value":
        return float(value.simple_value)
    return None


def scalars(log_dir: str) -> Dict[str, Dict[str, List[List[float]]]]:
    """TensorBoard scalars under `log_dir`: {run folder: {tag: [[step, value], ...]}}.

    The run folder is relative to `log_dir` (e.g. "agents/train", "eval"); points are
    sorted by step, a later write of the same step replacing an earlier one.
    """
    from tensorflow.core.util import event_pb2

    gfile = _gfile()
    if not log_dir or not gfile.isdir(log_dir):
        return {}
    found: Dict[str, Dict[str, Dict[int, float]]] = {}
    for folder, _, files in gfile.walk(log_dir):
        for name in sorted(n for n in files if "tfevents" in n):
            run = os.path.relpath(folder, log_dir).replace(os.sep, "/")
            with gfile.GFile(os.path.join(folder, name), "rb") as f:
                data = f.read()
            for payload in _records(data):
                event = event_pb2.Event.FromString(payload)
                for value in event.summary.value:
                    number = _scalar(value)
                    if number is not None:
                        found.setdefault(run, {}).setdefault(value.tag, {})[int(event.step)] = (
                            number
                        )
    return {
        run: {
            tag: [[step, points[step]] for step in sorted(points)]
            for tag, points in sorted(tags.items())
        }
        for run, tags in sorted(found.items())
    }


def _vocab_lines(transform_graph_uri: str, name: str) -> List[str]:
    path = os.path.join(transform_graph_uri or "", VOCAB_DIR, name)
    gfile = _gfile()
    if not transform_graph_uri or not gfile.exists(path):
        return []
    with gfile.GFile(path, "rb") as f:
        return [line.decode("utf-8", "replace") for line in f.read().split(b"\n") if line]


def train_counts(transform_graph_uri: str) -> Dict[str, int]:
    """Train-split interactions per item (the transform's `item_id_counts`); {} when absent."""
    counts = {}
    for line in _vocab_lines(transform_graph_uri, F.ITEM_COUNTS_VOCAB):
        count, _, item = line.partition(" ")
        if count.isascii() and count.isdigit() and item:
            counts[item] = int(count)
    return counts


def known_users(transform_graph_uri: str, limit: int = 20) -> List[str]:
    """The first `limit` user ids of the transform's user vocabulary (most active first)."""
    return _vocab_lines(transform_graph_uri, F.USER_VOCAB)[:limit]
