import pytest

from components.evaluator.eval_data import EvalSet
from components.infra_validator import validation
from components.infra_validator.config import InfraValidatorConfig

NAMES = ["collaborative", "popularity"]


def _row(items=("a", "b"), scores=(2.0, 1.0), agents=((1.0, 1.0), (0.5, 0.5))):
    return {"item_ids": list(items), "scores": list(scores),
            "agent_scores": [list(a) for a in agents], "agent_names": NAMES}


REQUEST = validation.Request(("u1",), (("x",),), (("x",),))


def test_well_formed_answer_passes():
    assert validation.check_response([_row()], REQUEST, k=2) is None


@pytest.mark.parametrize("row,message", [
    (_row(items=("a",), scores=(1.0,), agents=((1, 1),)), "expected k=2"),
    (_row(items=("", "a")), "empty item id"),
    (_row(items=("a", "x")), "excluded"),
    (_row(scores=(1.0, float("nan"))), "non-finite scores"),
    (_row(scores=(1.0, 2.0)), "not sorted"),
    (_row(agents=((1.0,), (1.0,))), "agent_scores"),
    (_row(agents=((1.0, float("inf")), (1.0, 1.0))), "non-finite agent_scores"),
])
def test_malformed_answers_are_named(row, message):
    assert message in validation.check_response([row], REQUEST, k=2)


def test_trailing_padding_is_allowed_when_fewer_than_k_candidates_exist():
    assert validation.check_response([_row(items=("a", ""))], REQUEST, k=2) is None


def test_row_count_must_match_users():
    assert "2 rows for 1 users" in validation.check_response([_row(), _row()], REQUEST, k=2)


def test_requests_cycle_eval_users_with_recent_history():
    data = EvalSet.from_rows([("u1", "a", 1), ("u1", "b", 2), ("u1", "c", 3)],
                             [("u1", "d", 4), ("u2", "e", 5)])
    requests = validation.build_requests(data, num_requests=2, batch_size=3, history_length=2)
    assert [r.user_ids for r in requests] == [("u1", "u2", "u1"), ("u2", "u1", "u2")]
    assert requests[0].history == (("b", "c"), (), ("b", "c"))
    assert requests[0].exclude == requests[0].history
    anonymous = validation.build_requests(None, 1, 2, 5)[0]
    assert len(anonymous.user_ids) == 2 and anonymous.history == ((), ())


@pytest.mark.parametrize("kwargs", [dict(num_requests=0), dict(binary="docker"),
                                    dict(timeout_seconds=0), dict(model_name="a/b")])
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        InfraValidatorConfig(**kwargs)
