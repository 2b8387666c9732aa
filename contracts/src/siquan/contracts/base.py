"""The base every message model derives from, and the registry that finds a model by type."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A fact a producer publishes. Frozen; unknown fields are refused so drift is loud."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    producer: ClassVar[str]
    routing_key: ClassVar[str]


_REGISTRY: dict[str, type[Event]] = {}


def register(*models: type[Event]) -> None:
    for model in models:
        _REGISTRY[model.routing_key] = model


def model_for(message_type: str) -> type[Event]:
    """The contract model for a routing key; KeyError if the type is unknown."""
    from siquan.contracts import catalogue  # noqa: F401  (imports register every module)

    return _REGISTRY[message_type]


def all_models() -> dict[str, type[Event]]:
    from siquan.contracts import catalogue  # noqa: F401

    return dict(sorted(_REGISTRY.items()))
