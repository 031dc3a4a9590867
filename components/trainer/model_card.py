"""`model_card.json` beside the SavedModel, and the eval-split metrics it reports."""

import json
import os
from typing import Dict

import numpy as np
import tensorflow as tf

from rec_model import features as F
from rec_model.evaluation import evaluate

MODEL_CARD_FILE = "model_card.json"


def eval_metrics(model, inputs, k: int = 10, max_users: int = 10000, seed: int = 0) -> Dict:
    """Recall@k / NDCG@k (with 95% CIs) of the model's own `recommend` path on the held-out
    pairs (a seeded sample of at most `max_users` users; stored items excluded), and of
    popularity on the same users; {} when there are no held-out pairs.

    Args:
        model: trained MultiAgentModel whose stored histories are the train split.
        inputs: the TrainingInputs it was trained on.
        k: cut-off.
    """
    out = evaluate(model, inputs.eval, ks=(k,), max_users=max_users, seed=seed,
                   baseline_counts=inputs.train.item_counts())
    share = out.pop("agent_share", {})
    result = {(key if key.startswith("popularity_") else f"model_{key}"): value
              for key, value in out.items()}
    result.update({f"agent_share_{name}": value for name, value in share.items()})
    return result


def write_model_card(model_dir: str, card: Dict) -> str:
    path = os.path.join(model_dir, MODEL_CARD_FILE)
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(json.dumps(card, indent=2, sort_keys=True, default=_jsonable) + "\n")
    return path


def read_model_card(model_dir: str) -> Dict:
    with tf.io.gfile.GFile(os.path.join(model_dir, MODEL_CARD_FILE)) as f:
        return json.loads(f.read())


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def signature_summary() -> Dict[str, str]:
    """The contract as recorded in the card (serving/README.md has the details)."""
    return {F.SIGNATURE_RECOMMEND: ("user_id[b], k[], history[b,n], exclude[b,m]; "
                                    "excludes seen items"),
            "recommend_include_seen": ("same inputs/outputs as recommend; seen items may be "
                                       "recommended"),
            F.SIGNATURE_SCORE: ("user_id[b], item_ids[b,n] -> scores[b,n], "
                                "agent_scores[b,n,agents]"),
            F.SIGNATURE_DEFAULT: ("examples[b] serialized tf.Example(user_id, history) -> "
                                  "as recommend")}
