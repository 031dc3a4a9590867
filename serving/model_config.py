"""Which models to serve: TF Serving's `models.config` (text ModelServerConfig) <-> `ServedModel`.
"""

import dataclasses
import pathlib
import re

from serving.errors import Code, ServingError

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_model_name(name: str) -> str:
    """Returns `name` if it is a safe model name (letters, digits, `._-`, no path parts)."""
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        raise ServingError(Code.INVALID_ARGUMENT,
                           f"model name {name!r} is invalid: "
                           "use letters, digits, '.', '_' and '-' only")
    return name


@dataclasses.dataclass(frozen=True)
class ServedModel:
    """One served model.

    Args:
        name: the name clients ask for (`/v1/models/<name>`).
        base_path: folder holding numeric version folders.
        policy: "latest" (the newest `num_versions`), "all", or "specific" (`versions`).
        num_versions: versions kept by the "latest" policy.
        versions: versions served by the "specific" policy.
        labels: version labels, e.g. {"stable": 3, "canary": 4}.
    """

    name: str
    base_path: str
    policy: str = "latest"
    num_versions: int = 1
    versions: tuple = ()
    labels: tuple = ()  # ((label, version), ...): hashable for a frozen dataclass.

    def __post_init__(self):
        check_model_name(self.name)
        if self.policy not in ("latest", "all", "specific"):
            raise ValueError(f"model {self.name}: policy {self.policy!r} "
                             "must be latest, all or specific")
        if self.num_versions < 1:
            raise ValueError(f"model {self.name}: num_versions must be >= 1, "
                             f"got {self.num_versions}")
        if self.policy == "specific" and not self.versions:
            raise ValueError(f"model {self.name}: the specific policy needs at least one version")

    @property
    def label_map(self) -> dict:
        return dict(self.labels)

    def to_proto(self):
        """This config as a `tensorflow_serving.config.model_server_config_pb2.ModelConfig`."""
        from tensorflow_serving.config import model_server_config_pb2

        proto = model_server_config_pb2.ModelConfig(name=self.name, base_path=self.base_path,
                                                    model_platform="tensorflow")
        policy = proto.model_version_policy
        if self.policy == "latest":
            policy.latest.num_versions = self.num_versions
        elif self.policy == "all":
            policy.all.SetInParent()
        else:
            policy.specific.versions.extend(self.versions)
        for label, version in self.labels:
            proto.version_labels[label] = version
        return proto

    @classmethod
    def from_proto(cls, proto) -> "ServedModel":
        """Inverse of `to_proto`; `ValueError` for unsupported platforms."""
        if proto.model_platform not in ("", "tensorflow"):
            raise ValueError(f"model {proto.name}: model_platform {proto.model_platform!r} "
                             "is not supported; use tensorflow")
        kind = proto.model_version_policy.WhichOneof("policy_choice") or "latest"
        num = proto.model_version_policy.latest.num_versions or 1
        return cls(name=proto.name, base_path=proto.base_path, policy=kind, num_versions=num,
                   versions=tuple(proto.model_version_policy.specific.versions),
                   labels=tuple(sorted(proto.version_labels.items())))


def to_text(configs) -> str:
    """[ServedModel] -> text-format ModelServerConfig (TF Serving's --model_config_file)."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    server = model_server_config_pb2.ModelServerConfig()
    for config in configs:
        server.model_config_list.config.add().CopyFrom(config.to_proto())
    return text_format.MessageToString(server)


def parse_text(text: str, source: str = "<string>") -> list:
    """Text-format ModelServerConfig -> [ServedModel]; `ValueError` naming `source` if invalid."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    server = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, server)
    except text_format.ParseError as err:
        raise ValueError(f"{source}: not a text-format ModelServerConfig: {err}") from None
    if server.WhichOneof("config") != "model_config_list" or not server.model_config_list.config:
        raise ValueError(f"{source}: needs model_config_list "
                         f"{{ config {{ name: ... base_path: ... }} }}")
    configs = []
    for proto in server.model_config_list.config:
        try:
            configs.append(ServedModel.from_proto(proto))
        except ServingError as err:
            raise ValueError(f"{source}: {err.message}") from None
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"{source}: model names must be unique, got {names}")
    return configs


def load_file(path) -> list:
    """Reads a --model_config_file."""
    path = pathlib.Path(path)
    return parse_text(path.read_text(encoding="utf-8"), str(path))
