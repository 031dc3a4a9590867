"""Pipeline-level configuration: one frozen dataclass; each component keeps its own."""

import dataclasses
import json
from typing import Optional, Tuple

PRETRAIN_MODES = ("auto", "on", "off")
# Stages in pipeline order; a run stops after `last_stage`.
STAGES = ("transform", "embed", "train", "evaluate", "push")
# "auto" pre-trains only catalogues small enough to finish in minutes on CPU.
AUTO_PRETRAIN_MAX_ITEMS = 5000


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """What the whole pipeline needs beyond each component's own config.

    Attributes:
        data_root: canonical data folder (interactions.csv + items.csv).
        pipeline_root: where artifacts are written.
        serving_dir: the pusher's destination; the model server watches
            `<serving_dir>/<model_name>`.
        pipeline_name / model_name: names in ML Metadata and in serving.
        pretrain: "on", "off" or "auto" (MLM domain pre-training of the backbone when the
            catalogue has at most AUTO_PRETRAIN_MAX_ITEMS items).
        warm_start: train from the last blessed model when there is one.
        beam_pipeline_args: Beam flags for every Beam step.
        enable_cache: reuse outputs of unchanged components.
        last_stage: stop after this stage (one of STAGES); "push" needs `serving_dir`.
    """

    data_root: str
    pipeline_root: str
    serving_dir: str = ""
    pipeline_name: str = "recsys"
    model_name: str = "recsys"
    pretrain: str = "auto"
    warm_start: bool = True
    beam_pipeline_args: Tuple[str, ...] = ()
    enable_cache: bool = True
    last_stage: str = "push"

    def __post_init__(self):
        if not self.data_root or not self.pipeline_root:
            raise ValueError("data_root and pipeline_root are required")
        if self.pretrain not in PRETRAIN_MODES:
            raise ValueError(f"pretrain must be one of {PRETRAIN_MODES}, got {self.pretrain!r}")
        if self.last_stage not in STAGES:
            raise ValueError(f"last_stage must be one of {STAGES}, got {self.last_stage!r}")
        if self.last_stage == "push" and not self.serving_dir:
            raise ValueError("last_stage 'push' needs serving_dir (the folder the model server "
                             "watches); pass --serving-dir or stop earlier with --until evaluate")
        object.__setattr__(self, "beam_pipeline_args", tuple(self.beam_pipeline_args))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


def should_pretrain(mode: str, item_count: Optional[int]) -> bool:
    """Resolves `pretrain` ("auto" needs the catalogue size; unknown size -> off)."""
    if mode == "auto":
        return item_count is not None and item_count <= AUTO_PRETRAIN_MAX_ITEMS
    return mode == "on"


def runs_stage(config: PipelineConfig, stage: str) -> bool:
    """Whether `stage` is part of this pipeline (at or before `last_stage`)."""
    return STAGES.index(stage) <= STAGES.index(config.last_stage)
