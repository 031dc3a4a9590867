"""`UiConfig`: where `recsys ui` reads from and where it listens."""

import dataclasses
import ipaddress
import json
import os

# Folders that `recsys simulate --work-dir W` and `make demo` (OUT) keep beside `pipeline/`:
# with these defaults `recsys ui --pipeline-root W/pipeline` finds the logs on its own.
SIBLINGS = {
    "feedback_dir": "feedback",
    "request_log_dir": "request_logs",
    "simulation_path": "simulation.json",
}
LOOPBACK_NAMES = ("localhost",)


@dataclasses.dataclass(frozen=True)
class UiConfig:
    """Data sources and the listening address of the web app.

    Attributes:
        pipeline_root: a pipeline root; its `metadata.sqlite` is ML Metadata.
        metadata_path: an ML Metadata SQLite file instead of `<pipeline_root>/metadata.sqlite`.
        server: "host:port" of the model server's gRPC port; "" = no explorer.
        model_name: the served model's name.
        feedback_dir: feedback logs (serving/feedback_log.py); "" = `<root>/../feedback` if any.
        request_log_dir: the server's request logs; "" = `<root>/../request_logs` if any.
        simulation_path: a `recsys simulate` report; "" = `<root>/../simulation.json` if any.
        items_csv: titles; "" = the items.csv the latest run embedded.
        host: address to bind; loopback unless asked otherwise (the app has no login).
        port: port to bind; 0 = a free one.
        timeout_s: seconds per call to the model server.
        pool: items asked for when an agent is switched off or an item's neighbours are listed
            (capped by the catalogue size).
    """

    pipeline_root: str = ""
    metadata_path: str = ""
    server: str = ""
    model_name: str = "recsys"
    feedback_dir: str = ""
    request_log_dir: str = ""
    simulation_path: str = ""
    items_csv: str = ""
    host: str = "127.0.0.1"
    port: int = 8765
    timeout_s: float = 10.0
    pool: int = 2000

    def __post_init__(self):
        if not self.pipeline_root and not self.metadata_path:
            raise ValueError(
                "give --pipeline-root DIR (reads DIR/metadata.sqlite) or --metadata PATH"
            )
        if not 0 <= int(self.port) <= 65535:
            raise ValueError(f"port must be in 0..65535 (0 = any free port), got {self.port}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0 seconds, got {self.timeout_s}")
        if self.pool < 1:
            raise ValueError(f"pool must be >= 1 item, got {self.pool}")
        if self.server and ":" not in self.server:
            raise ValueError(
                f"server {self.server!r} must be HOST:PORT of the gRPC port, e.g. 127.0.0.1:8500"
            )

    @property
    def is_loopback(self) -> bool:
        """Whether `host` only accepts connections from this machine."""
        if self.host in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def with_discovered_paths(self) -> "UiConfig":
        """A copy whose empty log paths point at the pipeline root's siblings when they exist."""
        if not self.pipeline_root:
            return self
        parent = os.path.dirname(os.path.abspath(self.pipeline_root))
        found = {}
        for field, name in SIBLINGS.items():
            candidate = os.path.join(parent, name)
            if not getattr(self, field) and os.path.exists(candidate):
                found[field] = candidate
        return dataclasses.replace(self, **found)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "UiConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unknown UiConfig field(s) {extra}; known fields: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "UiConfig":
        return cls.from_dict(json.loads(text))
