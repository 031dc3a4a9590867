"""`model_card.json` beside the SavedModel, and the eval-split metrics it reports."""

import json
import os
from typing import Dict

import numpy as np
import tensorflow as tf

from rec_model import features as F
from rec_model.ranking_metrics import evaluate_scores

MODEL_CARD_FILE = "model_card.json"


def eval_metrics(model, inputs, k: int = 10, batch_size: int = 256) -> Dict[str, float]:
    """Full-catalogue Recall@k / NDCG@k on the held-out pairs (train items excluded), for the
    model and for popularity; {} when there are no held-out pairs.

    Args:
        model: trained MultiAgentModel.
        inputs: the TrainingInputs it was trained on.
        k: cut-off.
    """
    relevant = inputs.eval_by_user()
    if not relevant:
        return {}
    users = np.array(sorted(relevant), np.int64)
    history = inputs.train.history_matrix()
    seen = {int(u): np.flatnonzero(history[u]) for u in users}
    rows = np.zeros((users.size, inputs.train.num_items), np.float32)
    for start in range(0, users.size, batch_size):
        part = users[start: start + batch_size]
        out = model.score_items(tf.constant(part), tf.constant(history[part]))
        rows[start: start + part.size] = out["ensemble"].numpy()
    local = {n: relevant[int(u)] for n, u in enumerate(users)}
    excluded = {n: seen[int(u)] for n, u in enumerate(users)}
    result = {f"model_{key}": value for key, value in evaluate_scores(rows, local, excluded, ks=(k,)).items()}
    popular = np.broadcast_to(inputs.train.item_counts()[None, :], rows.shape)
    pop = evaluate_scores(popular, local, excluded, ks=(k,))
    result.update({f"popularity_{key}": value for key, value in pop.items() if key != "users"})
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
    return {F.SIGNATURE_RECOMMEND: "user_id[b], k[], history[b,n], exclude[b,m]; excludes seen items",
            "recommend_include_seen": "same inputs/outputs as recommend; seen items may be recommended",
            F.SIGNATURE_SCORE: "user_id[b], item_ids[b,n] -> scores[b,n], agent_scores[b,n,agents]",
            F.SIGNATURE_DEFAULT: "examples[b] serialized tf.Example(user_id, history) -> as recommend"}
