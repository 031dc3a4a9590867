"""Tests of components/batch_scorer/json_lines.py: fast lines parse to the reference rows."""

import json

import numpy as np

from components.batch_scorer import json_lines
from rec_model import features as F


def _outputs(scores, agents=None, ids=None):
    scores = np.asarray(scores, "float32")
    b, k = scores.shape
    ids = ids if ids is not None else [[f"i{r}{c}".encode() for c in range(k)] for r in range(b)]
    out = {F.ITEM_IDS: np.array(ids, dtype=object), F.SCORES: scores,
           F.AGENT_NAMES: np.array([b"cf", b"pop"], dtype=object)}
    if agents is None:
        agents = np.stack([scores, scores / 3], -1)
    out[F.AGENT_SCORES] = np.asarray(agents, "float32")
    return out


def _check(users, outputs, include_agent_scores=True):
    text = json_lines.format_lines(users, outputs, include_agent_scores)
    assert text.endswith("\n") or not users
    parsed = [json.loads(line) for line in text.splitlines()]
    expected = [json_lines.to_row(u, outputs, i, include_agent_scores)
                for i, u in enumerate(users)]
    assert json.dumps(parsed) == json.dumps(expected)  # As text: NaN != NaN as a float.
    return parsed


def test_random_scores_round_like_python():
    rng = np.random.default_rng(0)
    scores = np.sort(rng.normal(scale=50, size=(64, 10)).astype("float32"), axis=1)[:, ::-1]
    _check([f"u{i}" for i in range(64)], _outputs(scores))
    _check([f"u{i}" for i in range(64)], _outputs(scores), include_agent_scores=False)


def test_excluded_slots_are_dropped_both_markers():
    outputs = _outputs([[2.0, 1.0, -np.inf], [3.0, -1e9, -1e9], [1.5, 1.25, 1.0]])
    rows = _check(["a", "b", "c"], outputs)
    assert [len(r["item_ids"]) for r in rows] == [2, 1, 3]
    assert rows[0] == {"user_id": "a", "item_ids": ["i00", "i01"], "scores": [2.0, 1.0],
                       "agent_scores": {"cf": [2.0, 1.0], "pop": [0.666667, 0.333333]}}


def test_odd_ids_and_non_finite_agent_scores():
    ids = [['q"uote'.encode(), "ユ".encode(), b"back\\slash"]]
    agents = [[[1.0, np.nan], [1.0, 0.0], [1.0, 0.0]]]
    _check(['us"er\n'], _outputs([[3.0, 2.0, 1.0]], agents=agents, ids=ids))
    _check(["x"], _outputs([[3.0, 2.0, 1.0]], ids=ids))


def test_empty_batch_and_missing_agents():
    assert json_lines.format_lines([], _outputs(np.zeros((0, 3))), True) == ""
    outputs = _outputs([[1.0, 0.5]])
    del outputs[F.AGENT_SCORES]
    assert "agent_scores" not in _check(["u"], outputs)[0]
