"""Configuration of the infra_validator component."""

import dataclasses
import json

from components import config_fields

BINARIES = ("auto", "tensorflow_model_server", "python")


@dataclasses.dataclass(frozen=True)
class InfraValidatorConfig:
    """How the candidate is served and probed.

    Attributes:
        num_requests: gRPC Predict calls to `recommend` that must all succeed.
        batch_size: users per request (eval users, cycled).
        k: items asked per user.
        history_length: most recent train items sent as `history`.
        timeout_seconds: how long the server may take to make the model AVAILABLE.
        request_timeout_seconds: deadline of each request.
        binary: "auto" (tensorflow_model_server when on PATH, else this package's server),
            "tensorflow_model_server" or "python".
        model_name: name the candidate is served under.
    """

    num_requests: int = 5
    batch_size: int = 4
    k: int = 10
    history_length: int = 20
    timeout_seconds: float = 120.0
    request_timeout_seconds: float = 30.0
    binary: str = "auto"
    model_name: str = "infra-validation"

    def __post_init__(self):
        if self.num_requests < 1 or self.batch_size < 1 or self.k < 1:
            raise ValueError("num_requests, batch_size and k must be >= 1")
        if self.history_length < 0:
            raise ValueError(f"history_length must be >= 0, got {self.history_length}")
        if self.timeout_seconds <= 0 or self.request_timeout_seconds <= 0:
            raise ValueError("timeout_seconds and request_timeout_seconds must be > 0")
        if self.binary not in BINARIES:
            raise ValueError(f"binary must be one of {BINARIES}, got {self.binary!r}")
        if not self.model_name or "/" in self.model_name:
            raise ValueError(
                f"model_name must be a non-empty name without '/', got {self.model_name!r}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "InfraValidatorConfig":
        """Inverse of `to_json`; "" gives the defaults.

        Raises:
            ValueError: a field this version does not know (names the known ones).
        """
        return config_fields.from_json(cls, text)
