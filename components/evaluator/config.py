"""Configuration of the evaluator component."""

import dataclasses
import json
from typing import Tuple

from components import config_fields

RULES = ("no_significant_regression", "mean")


@dataclasses.dataclass(frozen=True)
class EvaluatorConfig:
    """What the evaluator measures and when it blesses.

    Attributes:
        ks: ranking cut-offs K of Recall@K / NDCG@K (../shared/BENCHMARK.md reports 10, 50, 100).
        metric: the gating metric, "ndcg@K" or "recall@K" with K in `ks`.
        tolerance: relative slack against the baseline: the bar is
            baseline * (1 - tolerance). 0.01 = may be at most 1 % worse.
        rule: how the candidate is held to that bar. "mean": its mean must reach it.
            "no_significant_regression" (a guardrail, as in online experiments): blessed when
            the mean reaches the bar or when the paired difference's `confidence` interval
            still reaches it, i.e. unless the evaluation shows the candidate significantly
            below the bar; a statistical tie then goes to the candidate, which was trained on
            the newer data. Without per-user values both rules use the mean.
        min_lift_over_popularity: with no baseline (first model) the candidate must reach
            popularity * (1 + min_lift_over_popularity) and be strictly better than it.
        batch_size: users per signature call.
        history_length: most recent train items sent as `history` per user (0 = none, the
            default). A model that stores its users' histories, as the pipeline's do, counts
            items sent again twice (on the MovieLens-100K demo's time split the last 50 raised
            NDCG@10 from 0.211 to 0.224): the metric would then not be what a plain request
            for the user gets. Only for models that do not store histories.
        max_users: evaluate a seeded sample of this many eligible users (0 = all of them);
            the metrics carry a `confidence` interval, so the sample size shows in the result.
            10,000 users measure NDCG@10 to about +-0.005.
        seed: selects the sample (`rec_model.sampled_metrics.sample_users`); the candidate
            and the baseline are always scored on the same users.
        confidence: coverage of the reported confidence intervals.
        per_agent: also rank by each agent's score column (see `model_metrics`).
        per_agent_max_cells: with a `score` signature the per-agent breakdown scores the whole
            catalogue for each user: it ranks all evaluated users while users x catalogue
            stays within this many cells, else the largest seeded sub-sample (same `seed`)
            that does. 10**9 keeps all 10,000 sampled users up to 100,000 items and 1,000 at
            1M items; the breakdown's `users` and intervals show the sample.
    """

    ks: Tuple[int, ...] = (10, 50, 100)
    metric: str = "ndcg@10"
    tolerance: float = 0.01
    rule: str = "no_significant_regression"
    min_lift_over_popularity: float = 0.0
    batch_size: int = 256
    history_length: int = 0
    max_users: int = 10_000
    seed: int = 42
    confidence: float = 0.95
    per_agent: bool = True
    per_agent_max_cells: int = 10**9

    def __post_init__(self):
        object.__setattr__(self, "ks", tuple(int(k) for k in self.ks))
        if not self.ks or min(self.ks) < 1:
            raise ValueError(f"ks must be non-empty positive cut-offs, got {self.ks}")
        name, _, k = self.metric.partition("@")
        if (name not in ("ndcg", "recall") or not (k.isascii() and k.isdigit())
                or int(k) not in self.ks):
            raise ValueError(f"metric must be 'ndcg@K' or 'recall@K' with K in ks={self.ks}, "
                             f"got {self.metric!r}")
        if not 0.0 <= self.tolerance < 1.0:
            raise ValueError(f"tolerance is relative and must be in [0, 1), got {self.tolerance}")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")
        if self.min_lift_over_popularity < 0.0:
            raise ValueError(
                f"min_lift_over_popularity must be >= 0, got {self.min_lift_over_popularity}")
        if self.batch_size < 1 or self.history_length < 0 or self.max_users < 0:
            raise ValueError("batch_size must be >= 1, history_length and max_users >= 0")
        if self.per_agent_max_cells < 1:
            raise ValueError(f"per_agent_max_cells must be >= 1 user x item cells, got "
                             f"{self.per_agent_max_cells}")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence must be in (0, 1), e.g. 0.95, got {self.confidence}")

    def sent_history(self, items) -> tuple:
        """The `history` row sent for a user whose train items are `items` (oldest first):
        the last `history_length`, none when it is 0 (`items[-0:]` would be all of them)."""
        return tuple(items[-self.history_length:]) if self.history_length else ()

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "EvaluatorConfig":
        """Inverse of `to_json`; "" gives the defaults.

        Raises:
            ValueError: a field this version does not know (names the known ones).
        """
        return config_fields.from_json(cls, text)
