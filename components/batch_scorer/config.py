"""Configuration of batch scoring (the `recsys batch-score` command and the batch_scorer component)."""

import dataclasses
import json


@dataclasses.dataclass(frozen=True)
class BatchScoreConfig:
    """How users are scored in bulk.

    Attributes:
        k: recommendations per user (the `recommend` signature's `k`).
        exclude_seen: pass each user's seen items (from the seen-items source) as `exclude`,
            so nothing the user already interacted with is recommended.
        include_agent_scores: add `"agent_scores": {agent name: [k floats]}` to every line.
        max_batch_size: most users per `recommend` call (RunInference batches up to this).
        max_user_id_bytes: longer user ids are reported as bad instead of scored.
        seen_split: split of an `Examples` artifact whose items count as seen ("train").
    """

    k: int = 10
    exclude_seen: bool = True
    include_agent_scores: bool = True
    max_batch_size: int = 256
    max_user_id_bytes: int = 256
    seen_split: str = "train"

    def __post_init__(self):
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {self.max_batch_size}")
        if self.max_user_id_bytes < 1:
            raise ValueError(f"max_user_id_bytes must be >= 1, got {self.max_user_id_bytes}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "BatchScoreConfig":
        return cls(**json.loads(text)) if text else cls()
