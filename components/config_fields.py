"""JSON round-trip of the components' frozen config dataclasses, with helpful unknown-field
errors."""

import dataclasses
import json
from typing import Any, Mapping, Type, TypeVar

T = TypeVar("T")


def from_dict(cls: Type[T], data: Mapping[str, Any], where: str) -> T:
    """`cls(**data)`, naming the unknown fields and the known ones when there are any.

    Args:
        cls: a dataclass.
        data: its fields as parsed from JSON.
        where: what the fields belong to, for the message (e.g. "TrainerConfig.tfjob").

    Raises:
        ValueError: `data` is not an object or has fields `cls` does not know.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be a JSON object of fields, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    extra = sorted(set(data) - known)
    if extra:
        raise ValueError(f"unknown {where} field(s) {extra}; known fields: {sorted(known)}")
    return cls(**data)


def from_json(cls: Type[T], text: str) -> T:
    """`from_dict` of a JSON object; "" gives the defaults."""
    return from_dict(cls, json.loads(text) if text else {}, cls.__name__)
