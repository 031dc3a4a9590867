"""Configuration of the example_gen component."""

import dataclasses
import json

from components import config_fields

SPLIT_MODES = ("user_time", "random")


@dataclasses.dataclass(frozen=True)
class ExampleGenConfig:
    """How interactions are split into train and eval.

    Attributes:
        split_mode: "user_time" puts each user's last `eval_fraction` of interactions (by
            timestamp; a seeded hash orders interactions at the same time) into eval, the
            rest into train; "random" assigns each interaction to eval with probability
            `eval_fraction` by a stable hash of the row (seeded).
        eval_fraction: share of each user's interactions (user_time) or of all rows (random)
            that go to eval, in (0, 1).
        min_interactions_for_eval: users with fewer interactions keep all of them in train
            (user_time mode), so no user is seen only at evaluation.
        seed: seed of the random mode's hash and of the time split's order of ties.
        span: TFX span number recorded on the Examples artifact (continuous training adds
            new spans).
        evaluate_feedback: whether rows of feedback spans (`interactions-span-*.csv`, clicks
            on the live model's own recommendations) may go to eval. False keeps them in
            train: judged on them, the live model wins by having shown those items
            (exposure bias), so a better candidate would never be pushed.
    """

    split_mode: str = "user_time"
    eval_fraction: float = 0.2
    min_interactions_for_eval: int = 2
    seed: int = 42
    span: int = 0
    evaluate_feedback: bool = False

    def __post_init__(self):
        if self.split_mode not in SPLIT_MODES:
            raise ValueError(f"split_mode must be one of {SPLIT_MODES}, got {self.split_mode!r}")
        if not 0.0 < self.eval_fraction < 1.0:
            raise ValueError(f"eval_fraction must be in (0, 1), got {self.eval_fraction}")
        if self.min_interactions_for_eval < 2:
            raise ValueError(
                "min_interactions_for_eval must be >= 2 so every user keeps a train row")
        if self.span < 0:
            raise ValueError(f"span must be >= 0, got {self.span}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ExampleGenConfig":
        """Inverse of `to_json`; "" gives the defaults.

        Raises:
            ValueError: a field this version does not know (names the known ones).
        """
        return config_fields.from_json(cls, text)
