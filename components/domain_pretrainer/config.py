"""Configuration of the domain pre-trainer."""

import dataclasses
import json
from typing import Optional

from components import config_fields


@dataclasses.dataclass(frozen=True)
class PretrainerConfig:
    """Continued masked-LM pre-training of a BERT backbone on item texts.

    Attributes:
        backbone: starting backbone: None (bundled all-MiniLM-L6-v2), a local keras-hub preset
            folder or a keras-hub BERT preset name (see text_embedder.backbones).
        epochs: passes over the training texts (fresh random masks each pass).
        sequence_length: tokens per text incl. [CLS]/[SEP] (item texts are short: 32-64).
        batch_size: texts per step.
        learning_rate: Adam learning rate.
        validation_fraction: share of texts held out to measure MLM loss before and after.
        mask_selection_rate: share of word pieces masked per text.
        seed: seeds the hold-out split, masking and weight init of the MLM head.
        allow_download: let a keras-hub preset that is not cached be downloaded at run time
            (off by default: nothing is fetched unless the user asks).
        verbose: Keras fit verbosity (0 silent, 1 progress bar, 2 one line per epoch).
    """

    backbone: Optional[str] = None
    allow_download: bool = False
    verbose: int = 0
    epochs: int = 2
    sequence_length: int = 32
    batch_size: int = 32
    learning_rate: float = 1e-4
    validation_fraction: float = 0.1
    mask_selection_rate: float = 0.15
    seed: int = 42

    def __post_init__(self):
        if self.backbone is not None and not isinstance(self.backbone, str):
            raise ValueError(f"backbone must be a string or None, got {self.backbone!r}")
        for name in ("epochs", "sequence_length", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not 4 <= self.sequence_length <= 512:
            raise ValueError(f"sequence_length must be in [4, 512], got {self.sequence_length}")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction}")
        if not 0.0 < self.mask_selection_rate < 1.0:
            raise ValueError(
                f"mask_selection_rate must be in (0, 1), got {self.mask_selection_rate}")
        if self.verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, got {self.verbose!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "PretrainerConfig":
        """Inverse of `to_json`; "" gives the defaults.

        Raises:
            ValueError: a field this version does not know (names the known ones).
        """
        return config_fields.from_json(cls, text)
