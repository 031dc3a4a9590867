"""Configuration of batch scoring (`recsys batch-score` and the batch_scorer component)."""

import dataclasses
import json

from components import config_fields


@dataclasses.dataclass(frozen=True)
class BatchScoreConfig:
    """How users are scored in bulk.

    Attributes:
        k: recommendations per user (the `recommend` signature's `k`).
        exclude_seen: pass each user's seen items (from the seen-items source) as `exclude`.
            When False, the model's `recommend_include_seen` signature is used if it has one
            (plain `recommend` drops the user's training items by itself).
        include_agent_scores: add `"agent_scores": {agent name: [k floats]}` to every line.
        max_batch_size: most users per `recommend` call. Larger calls save no time once a
            call is a few hundred users, and cost some where the model builds [batch, items]
            temporaries (catalogues under the whole-catalogue limit): see
            `bench/results/batch_scoring_s25.md`.
        max_exclude_cells: most padded `exclude` cells (users x longest list) per call, so a
            few heavy users do not blow up a call's tensors.
        max_user_id_bytes: longer user ids are reported as bad instead of scored.
        seen_split: split of an `Examples` artifact whose items count as seen ("train").
    """

    k: int = 10
    exclude_seen: bool = True
    include_agent_scores: bool = True
    max_batch_size: int = 256
    max_exclude_cells: int = 262_144
    max_user_id_bytes: int = 256
    seen_split: str = "train"

    def __post_init__(self):
        for name in ("k", "max_batch_size", "max_exclude_cells", "max_user_id_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"BatchScoreConfig.{name} must be >= 1, got {getattr(self, name)}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "BatchScoreConfig":
        """Inverse of `to_json`; "" gives the defaults.

        Raises:
            ValueError: a field this version does not know (names the known ones).
        """
        return config_fields.from_json(cls, text)
