"""The gate: is the candidate good enough to replace the live model?"""

from typing import Dict, Optional, Tuple

from components.evaluator.metrics import PER_USER
from rec_model.sampled_metrics import MeanCI, paired_difference_ci


def _ci(metrics: Dict, name: str) -> str:
    low, high = (metrics.get("ci") or {}).get(name) or (None, None)
    return "" if low is None or high is None else f" [{low:.4f}, {high:.4f}]"


def _paired(candidate: Dict, other: Dict, name: str, config) -> Optional[MeanCI]:
    """The paired difference candidate - other over the same users, when both carry them."""
    a, b = (candidate.get(PER_USER) or {}).get(name), (other.get(PER_USER) or {}).get(name)
    if a is None or b is None or len(a) != len(b) or len(a) < 2:
        return None
    return paired_difference_ci(a, b, config.confidence)


def _difference(diff: Optional[MeanCI]) -> str:
    if diff is None:
        return ""
    return f", difference {diff.mean:+.4f} [{diff.low:+.4f}, {diff.high:+.4f}]"


def _sample(sample: Optional[Dict], config) -> str:
    if not sample:
        return ""
    return (f"; {sample['users_evaluated']:,} of {sample['users_total']:,} users "
            f"(seed {sample['seed']}), {config.confidence:.0%} intervals")


def decide_blessing(candidate: Dict, baseline: Optional[Dict], popularity: Dict, config,
                    sample: Optional[Dict] = None) -> Tuple[bool, str]:
    """Compares the gating metric (`config.metric`).

    With a baseline (the live model) the bar is baseline * (1 - config.tolerance); under
    `config.rule` "mean" the candidate's mean must reach it, under "no_significant_regression"
    it is blessed unless the paired difference's interval lies wholly below it (a tie within
    noise goes to the fresher candidate). Without one (first model): blessed when the
    candidate beats popularity, candidate > popularity and
    candidate >= popularity * (1 + config.min_lift_over_popularity). The message gives each
    mean's confidence interval and, when per-user values are given, the interval of the
    paired difference, so a reader sees whether the gap is within noise.

    Args:
        candidate, baseline, popularity: metric dicts with `config.metric` (baseline may be
            None), optionally "ci" and `metrics.PER_USER` (see `metrics.rank_metrics`).
        config: an `EvaluatorConfig`.
        sample: {"users_evaluated", "users_total", "seed"} for the message, or None.

    Returns:
        (blessed, human-readable reason with the numbers).
    """
    name = config.metric
    value = float(candidate[name])
    if baseline is not None:
        base = float(baseline[name])
        bar = base * (1.0 - config.tolerance)
        diff = _paired(candidate, baseline, name, config)
        blessed, why = value >= bar, f"needs >= {bar:.4f}"
        if not blessed and config.rule == "no_significant_regression" and diff is not None:
            # The interval of candidate - baseline still reaches the bar's gap: within noise.
            blessed = diff.high >= bar - base
            why += (f"; the difference's upper bound {diff.high:+.4f} "
                    + (f">= {bar - base:+.4f}: within noise" if blessed
                       else f"< {bar - base:+.4f}: significantly below"))
        verdict = "blessed" if blessed else "NOT blessed"
        return blessed, (f"{verdict}: candidate {name} {value:.4f}{_ci(candidate, name)} vs "
                         f"baseline {base:.4f}{_ci(baseline, name)}{_difference(diff)} "
                         f"(tolerance {config.tolerance:.2%}, {why})"
                         f"{_sample(sample, config)}")
    pop = float(popularity[name])
    bar = pop * (1.0 + config.min_lift_over_popularity)
    blessed = value > pop and value >= bar
    verdict = "blessed" if blessed else "NOT blessed"
    return blessed, (f"{verdict}: no baseline model; candidate {name} {value:.4f}"
                     f"{_ci(candidate, name)} vs popularity {pop:.4f}{_ci(popularity, name)}"
                     f"{_difference(_paired(candidate, popularity, name, config))} "
                     f"(must beat it, lift >= {config.min_lift_over_popularity:.2%})"
                     f"{_sample(sample, config)}")
