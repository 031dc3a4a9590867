"""Configuration of the text_embedder component and `recsys embed`."""

import dataclasses
import json
from typing import Optional

from components import config_fields


@dataclasses.dataclass(frozen=True)
class EmbedderConfig:
    """How item texts are embedded.

    Attributes:
        backbone: None for the bundled all-MiniLM-L6-v2, a local keras-hub preset folder, or a
            keras-hub BERT preset name (needs its kagglehub cache or network). A `backbone_preset`
            input channel (the domain pre-trainer's output) overrides it.
        sequence_length: tokens per text incl. [CLS]/[SEP]; longer texts are truncated (counted).
        batch_size: texts per forward pass (and largest Beam batch).
        allow_download: let a keras-hub preset that is not cached be downloaded at run time
            (off by default: nothing is fetched unless the user asks).
    """

    backbone: Optional[str] = None
    allow_download: bool = False
    sequence_length: int = 64
    batch_size: int = 64

    def __post_init__(self):
        if self.backbone is not None and not isinstance(self.backbone, str):
            raise ValueError(f"backbone must be a string or None, got {self.backbone!r}")
        if not isinstance(self.sequence_length, int) or not 3 <= self.sequence_length <= 512:
            raise ValueError(
                f"sequence_length must be an int in [3, 512], got {self.sequence_length!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {self.batch_size!r}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "EmbedderConfig":
        """Inverse of `to_json`; "" gives the defaults.

        Raises:
            ValueError: a field this version does not know (names the known ones).
        """
        return config_fields.from_json(cls, text)
