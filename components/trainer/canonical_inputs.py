"""Trainer inputs from a canonical data folder (`recsys train`, no pipeline artifacts)."""

import os
from typing import Optional, Tuple

import numpy as np

from components.trainer.training_inputs import TrainingInputs, build_inputs
from rec_model import features as F
from rec_model.data.canonical import Quarantined, iter_interactions, tie_order


def read_canonical(data_dir: str):
    """-> ((user_ids, item_ids, timestamps, ratings (0 = none)) arrays, quarantined rows)."""
    path = os.path.join(data_dir, F.INTERACTIONS_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found; --data must be a canonical folder "
                                "(see `recsys data`)")
    users, items, ts, ratings, bad = [], [], [], [], 0
    for record in iter_interactions(path):
        if isinstance(record, Quarantined):
            bad += 1
            continue
        users.append(record.user_id)
        items.append(record.item_id)
        ts.append(record.timestamp)
        ratings.append(0.0 if record.rating is None else record.rating)
    return (np.array(users, object), np.array(items, object), np.array(ts, np.int64),
            np.array(ratings, np.float32)), bad


def split_last_per_user(rows, eval_fraction: float, seed: int = 0) -> Tuple[tuple, tuple]:
    """Each user's last `eval_fraction` of interactions by time (ties in `tie_order`,
    seeded) -> eval (users with < 2 keep all)."""
    users, items, ts, ratings = rows
    is_eval = np.zeros(users.size, bool)
    if eval_fraction > 0:
        order = np.lexsort((ts, users.astype(str)))
        u, t = users[order], ts[order]
        same = np.zeros(users.size, bool)  # same user and time as the row before
        same[1:] = (u[1:] == u[:-1]) & (t[1:] == t[:-1])
        ties = tie_order(same, lambda rows: (u[rows], items[order][rows]), seed)
        order = order if ties is None else order[ties]
        sorted_users = users[order]
        bounds = np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1
        for group in np.split(order, bounds):
            n = int(np.floor(eval_fraction * group.size))
            if group.size >= 2 and n > 0:
                is_eval[group[-min(n, group.size - 1):]] = True
    pick = (lambda mask: (users[mask], items[mask], ts[mask], ratings[mask]))
    return pick(~is_eval), pick(is_eval)


def inputs_from_canonical(data_dir: str, embeddings_dir: str, eval_fraction: float = 0.0,
                          span: Optional[int] = None) -> TrainingInputs:
    """Reads `interactions.csv` (malformed rows counted, not used), holds out the last
    `eval_fraction` of each user's interactions for the model card's metrics."""
    if not 0.0 <= eval_fraction < 1.0:
        raise ValueError(f"eval_fraction={eval_fraction} must be in [0, 1)")
    rows, bad = read_canonical(data_dir)
    train, held = split_last_per_user(rows, eval_fraction)
    return build_inputs(train, held, embeddings_dir, span=span,
                        extra_counts={"rows_quarantined": bad})
