"""The gate: is the candidate good enough to replace the live model?"""

from typing import Dict, Optional, Tuple

from components.evaluator.metrics import PER_USER
from rec_model.sampled_metrics import paired_difference_ci


def _ci(metrics: Dict, name: str) -> str:
    low, high = (metrics.get("ci") or {}).get(name) or (None, None)
    return "" if low is None or high is None else f" [{low:.4f}, {high:.4f}]"


def _difference(candidate: Dict, other: Dict, name: str, config) -> str:
    """`, difference +d [lo, hi]` over the same users, when both carry per-user values."""
    a, b = (candidate.get(PER_USER) or {}).get(name), (other.get(PER_USER) or {}).get(name)
    if a is None or b is None or len(a) != len(b) or len(a) < 2:
        return ""
    diff = paired_difference_ci(a, b, config.confidence)
    return f", difference {diff.mean:+.4f} [{diff.low:+.4f}, {diff.high:+.4f}]"


def _sample(sample: Optional[Dict], config) -> str:
    if not sample:
        return ""
    return (f"; {sample['users_evaluated']:,} of {sample['users_total']:,} users "
            f"(seed {sample['seed']}), {config.confidence:.0%} intervals")


def decide_blessing(candidate: Dict, baseline: Optional[Dict], popularity: Dict, config,
                    sample: Optional[Dict] = None) -> Tuple[bool, str]:
    """Compares the gating metric (`config.metric`).

    With a baseline (the live model): blessed when
    candidate >= baseline * (1 - config.tolerance). Without one (first model): blessed when the
    candidate beats popularity, candidate > popularity and
    candidate >= popularity * (1 + config.min_lift_over_popularity). The rule uses the means;
    the message adds each mean's confidence interval and, when per-user values are given, the
    interval of the paired difference, so a reader sees whether the gap is within noise.

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
        blessed = value >= bar
        verdict = "blessed" if blessed else "NOT blessed"
        return blessed, (f"{verdict}: candidate {name} {value:.4f}{_ci(candidate, name)} vs "
                         f"baseline {base:.4f}{_ci(baseline, name)}"
                         f"{_difference(candidate, baseline, name, config)} "
                         f"(tolerance {config.tolerance:.2%}, needs >= {bar:.4f})"
                         f"{_sample(sample, config)}")
    pop = float(popularity[name])
    bar = pop * (1.0 + config.min_lift_over_popularity)
    blessed = value > pop and value >= bar
    verdict = "blessed" if blessed else "NOT blessed"
    return blessed, (f"{verdict}: no baseline model; candidate {name} {value:.4f}"
                     f"{_ci(candidate, name)} vs popularity {pop:.4f}{_ci(popularity, name)}"
                     f"{_difference(candidate, popularity, name, config)} "
                     f"(must beat it, lift >= {config.min_lift_over_popularity:.2%})"
                     f"{_sample(sample, config)}")
