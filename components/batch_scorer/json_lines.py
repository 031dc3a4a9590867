"""`recommend` outputs -> JSON lines, one per user, with per-row work kept in C.

Line: `{"user_id", "item_ids": [k], "scores": [k], "agent_scores": {agent: [k]}}` (agent scores
when asked for and the model has them). Slots whose score marks an excluded item (non-finite,
or at most `EXCLUDED_FLOOR`: the trainer writes -1e9, the stand-in -inf) are dropped, so a user
who has seen nearly the whole catalogue gets fewer than k items.

Speed: `json.dumps(dict)` per user spends most of its time building the dict, rounding each
float in Python and creating an encoder per call. Here numbers are formatted by one
`%`-format per list (`"%.6f"` gives the same double as `round(x, 6)` once parsed), ids by one
shared C encoder per list, and only rows with dropped slots or non-finite agent scores take
the slow path (`to_row`).
"""

import json
from typing import Dict, List, Sequence

import numpy as np

from rec_model import features as F

EXCLUDED_FLOOR = -1e8
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def kept_slots(scores: np.ndarray) -> np.ndarray:
    """[batch, k] scores -> [batch, k] bool: the slots holding a real recommendation."""
    return np.isfinite(scores) & (scores > EXCLUDED_FLOOR)


def _has_agents(outputs: Dict[str, np.ndarray], include_agent_scores: bool) -> bool:
    return include_agent_scores and F.AGENT_SCORES in outputs and F.AGENT_NAMES in outputs


def _agent_names(outputs: Dict[str, np.ndarray]) -> List[str]:
    return [n.decode("utf-8", "replace") for n in outputs[F.AGENT_NAMES]]


def to_row(user_id: str, outputs: Dict[str, np.ndarray], i: int,
           include_agent_scores: bool) -> dict:
    """Row `i` of `recommend` outputs as the record of one user (the reference formatting)."""
    keep = kept_slots(outputs[F.SCORES][i])
    row = {
        F.USER_ID: user_id,
        F.ITEM_IDS: [v.decode("utf-8", "replace") for v in outputs[F.ITEM_IDS][i][keep]],
        F.SCORES: [round(float(s), 6) for s in outputs[F.SCORES][i][keep]],
    }
    if _has_agents(outputs, include_agent_scores):
        per_item = outputs[F.AGENT_SCORES][i][keep]  # [kept, n_agents]
        row[F.AGENT_SCORES] = {name: [round(float(v), 6) for v in per_item[:, a]]
                               for a, name in enumerate(_agent_names(outputs))}
    return row


def format_lines(user_ids: Sequence[str], outputs: Dict[str, np.ndarray],
                 include_agent_scores: bool) -> str:
    """JSON lines (each ending in a line break) of a batch of `recommend` outputs.

    Args:
        user_ids: [batch] the users in output order.
        outputs: `recommend` outputs as numpy (item_ids [batch, k] bytes, scores [batch, k], ...).
        include_agent_scores: add `agent_scores` when the model returns them.

    Returns:
        The lines; parsed, each equals `to_row` of the same user.
    """
    scores = outputs[F.SCORES]
    batch, k = scores.shape
    if batch == 0:
        return ""
    keep = kept_slots(scores)
    fast = keep.all(axis=1)
    agents = _has_agents(outputs, include_agent_scores)
    if agents:
        agent_values = outputs[F.AGENT_SCORES]  # [batch, k, n_agents]
        fast &= np.isfinite(agent_values).all(axis=(1, 2))
        # [batch][agent][k]: one %-format per agent list.
        agent_rows = np.transpose(agent_values, (0, 2, 1)).astype(np.float64).tolist()
        agent_keys = [_ENCODE(n) + ": " for n in _agent_names(outputs)]
    item_rows = [[v.decode("utf-8", "replace") for v in row]
                 for row in outputs[F.ITEM_IDS].tolist()]
    score_rows = scores.astype(np.float64).tolist()
    numbers = "[" + ", ".join(["%.6f"] * k) + "]"
    lines = []
    for i, user in enumerate(user_ids):
        if not fast[i]:
            lines.append(_ENCODE(to_row(user, outputs, i, include_agent_scores)))
            continue
        line = ('{"user_id": ' + _ENCODE(user) + ', "item_ids": ' + _ENCODE(item_rows[i])
                + ', "scores": ' + numbers % tuple(score_rows[i]))
        if agents:
            per_agent = [key + numbers % tuple(values)
                         for key, values in zip(agent_keys, agent_rows[i])]
            line += ', "agent_scores": {' + ", ".join(per_agent) + "}"
        lines.append(line + "}")
    return "\n".join(lines) + "\n"
