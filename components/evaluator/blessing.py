"""The gate: is the candidate good enough to replace the live model?"""

from typing import Dict, Optional, Tuple


def decide_blessing(candidate: Dict, baseline: Optional[Dict], popularity: Dict, config) -> Tuple[bool, str]:
    """Compares the gating metric (`config.metric`).

    With a baseline (the live model): blessed when
    candidate >= baseline * (1 - config.tolerance). Without one (first model): blessed when the
    candidate beats popularity, candidate > popularity and
    candidate >= popularity * (1 + config.min_lift_over_popularity).

    Args:
        candidate, baseline, popularity: metric dicts with `config.metric` (baseline may be None).
        config: an `EvaluatorConfig`.

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
        return blessed, (f"{verdict}: candidate {name} {value:.4f} vs baseline {base:.4f} "
                         f"(tolerance {config.tolerance:.2%}, needs >= {bar:.4f})")
    pop = float(popularity[name])
    bar = pop * (1.0 + config.min_lift_over_popularity)
    blessed = value > pop and value >= bar
    verdict = "blessed" if blessed else "NOT blessed"
    return blessed, (f"{verdict}: no baseline model; candidate {name} {value:.4f} vs popularity {pop:.4f} "
                     f"(must beat it, lift >= {config.min_lift_over_popularity:.2%})")
