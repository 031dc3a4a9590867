"""Configuration of the pusher component."""

import dataclasses
import json

from components import config_fields


@dataclasses.dataclass(frozen=True)
class PusherConfig:
    """Where blessed models go.

    Attributes:
        serving_dir: model server's root; the model lands in
            `<serving_dir>/<model_name>/<version>/` (the server's `--model_base_path` is
            `<serving_dir>/<model_name>`).
        model_name: the served model's name.
        keep_last_n: numeric versions kept after a push (older ones are deleted); 0 keeps all.
    """

    serving_dir: str
    model_name: str = "recsys"
    keep_last_n: int = 3

    def __post_init__(self):
        if not self.serving_dir:
            raise ValueError(
                "serving_dir is required: the folder the model server watches (e.g. /models)")
        if not self.model_name or "/" in self.model_name or self.model_name.startswith("."):
            raise ValueError(f"model_name must be a plain folder name, got {self.model_name!r}")
        if self.keep_last_n < 0:
            raise ValueError(
                f"keep_last_n must be >= 0 (0 keeps every version), got {self.keep_last_n}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "PusherConfig":
        """Inverse of `to_json`; "" gives the defaults.

        Raises:
            ValueError: a field this version does not know (names the known ones).
        """
        return config_fields.from_json(cls, text)
