import numpy as np
import pytest

from components.evaluator.blessing import decide_blessing
from components.evaluator.config import EvaluatorConfig
from components.evaluator.metrics import PER_USER, rank_metrics

POP = {"ndcg@10": 0.20}


@pytest.mark.parametrize("candidate,blessed",
                         [(0.30, True), (0.2970, True), (0.2969, False), (0.10, False)])
def test_relative_tolerance_against_baseline(candidate, blessed):
    ok, reason = decide_blessing({"ndcg@10": candidate}, {"ndcg@10": 0.30}, POP,
                                 EvaluatorConfig(tolerance=0.01))
    assert ok is blessed
    assert "baseline 0.3000" in reason and ("NOT blessed" in reason) != blessed


def test_zero_tolerance_requires_no_regression():
    cfg = EvaluatorConfig(tolerance=0.0)
    assert decide_blessing({"ndcg@10": 0.3}, {"ndcg@10": 0.3}, POP, cfg)[0]
    assert not decide_blessing({"ndcg@10": 0.2999}, {"ndcg@10": 0.3}, POP, cfg)[0]


def test_without_baseline_the_candidate_must_beat_popularity():
    cfg = EvaluatorConfig()
    assert decide_blessing({"ndcg@10": 0.21}, None, POP, cfg)[0]
    ok, reason = decide_blessing({"ndcg@10": 0.20}, None, POP, cfg)
    assert not ok and "popularity 0.2000" in reason
    lift = EvaluatorConfig(min_lift_over_popularity=0.1)
    assert not decide_blessing({"ndcg@10": 0.21}, None, POP, lift)[0]
    assert decide_blessing({"ndcg@10": 0.221}, None, POP, lift)[0]


def test_gate_metric_is_configurable():
    cfg = EvaluatorConfig(metric="recall@50")
    assert decide_blessing({"recall@50": 0.5}, {"recall@50": 0.6}, {}, cfg)[0] is False


@pytest.mark.parametrize("kwargs", [dict(metric="ndcg@20"), dict(metric="map@10"),
                                    dict(tolerance=1.0), dict(ks=()), dict(batch_size=0)])
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        EvaluatorConfig(**kwargs)


def test_a_cut_off_of_non_ascii_digits_gets_the_metric_message():
    with pytest.raises(ValueError, match="metric must be 'ndcg@K'"):
        EvaluatorConfig(metric="ndcg@\u00b2")


def test_config_json_round_trip():
    cfg = EvaluatorConfig(ks=(5, 10), metric="recall@5", tolerance=0.05)
    assert EvaluatorConfig.from_json(cfg.to_json()) == cfg


def test_message_cites_intervals_difference_and_sample():
    relevant = [{"a"}] * 40
    cand = rank_metrics([["a"]] * 30 + [["b"]] * 10, relevant, (10,), keep_per_user=True)
    base = rank_metrics([["a"]] * 25 + [["b"]] * 15, relevant, (10,), keep_per_user=True)
    sample = {"users_evaluated": 40, "users_total": 1234, "seed": 42}
    ok, reason = decide_blessing(cand, base, base, EvaluatorConfig(), sample)
    lo, hi = cand["ci"]["ndcg@10"]
    assert ok and f"candidate ndcg@10 {cand['ndcg@10']:.4f} [{lo:.4f}, {hi:.4f}]" in reason
    assert "vs baseline 0.6250 [" in reason and "difference +0.1250 [" in reason
    assert "40 of 1,234 users (seed 42), 95% intervals" in reason
    ok, reason = decide_blessing(cand, None, base, EvaluatorConfig(), sample)
    assert ok and "vs popularity 0.6250 [" in reason and "difference +0.1250" in reason


def test_config_json_names_unknown_fields():
    with pytest.raises(ValueError,
                       match=r"unknown EvaluatorConfig field\(s\) \['max_user'\].*max_users"):
        EvaluatorConfig.from_json('{"max_user": 5}')
    assert EvaluatorConfig.from_json('{"max_users": 5}').seed == 42
    assert EvaluatorConfig().max_users == 10_000
    with pytest.raises(ValueError, match="confidence"):
        EvaluatorConfig(confidence=95)


def _per_user(values):
    values = np.asarray(values, dtype=float)
    return {"ndcg@10": float(values.mean()), PER_USER: {"ndcg@10": list(values)}}


def test_a_tie_within_noise_goes_to_the_candidate_a_clear_regression_does_not():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.0, 1.0, 400)
    tie = _per_user(base + rng.normal(-0.02, 0.3, 400))  # 2 points lower, noise 0.3 per user
    worse = _per_user(base - 0.2)                       # every user loses 0.2
    ok, reason = decide_blessing(tie, _per_user(base), POP, EvaluatorConfig())
    assert ok and "within noise" in reason, reason
    ok, reason = decide_blessing(worse, _per_user(base), POP, EvaluatorConfig())
    assert not ok and "significantly below" in reason, reason
    # The strict rule holds the mean to the bar whatever the noise.
    assert not decide_blessing(tie, _per_user(base), POP, EvaluatorConfig(rule="mean"))[0]


def test_without_per_user_values_the_mean_decides():
    assert not decide_blessing({"ndcg@10": 0.2969}, {"ndcg@10": 0.30}, POP, EvaluatorConfig())[0]
    with pytest.raises(ValueError, match="rule must be one of"):
        EvaluatorConfig(rule="median")
