"""The base every message model derives from, and the registry that finds a model by type.

Producers are strict, readers tolerant: constructing or validating a message as usual
refuses an unknown field, so a producer cannot publish what its contract does not say;
a consumer reads with `read(model, body)` (validation context `TOLERANT`), which drops
the fields it does not know — a producer that added an optional field in the same major
version does not break the consumers that have not been updated yet. A `StrictPart` (a
policy carried inside a message) refuses them however it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

TOLERANT_KEY = "siquan.tolerant"
TOLERANT: Mapping[str, bool] = {TOLERANT_KEY: True}
"""Validation context of a reader that ignores fields it does not know."""


class Contract(BaseModel):
    """A message or a part of one (an entry, a line): frozen; unknown fields are refused,
    except when read with `read`/`read_data`, which drop them (pydantic's `extra="ignore"`
    for that validation alone: no Python runs per part, a chunk holding thousands)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _known(model: type[BaseModel]) -> frozenset[str]:
    """A model's field names and aliases (fixed once the model is built)."""
    known = _KNOWN.get(model)
    if known is None:
        known = _KNOWN[model] = frozenset(model.model_fields) | {
            f.alias for f in model.model_fields.values() if f.alias}
    return known


_KNOWN: dict[type[BaseModel], frozenset[str]] = {}


class StrictPart(BaseModel):
    """A part of a message that is not a contract of its own (a policy version, its
    criteria): frozen, and its unknown fields are refused even when the message is read
    tolerantly — a reader does not apply a policy it only half understands."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_when_reading(cls, data: Any, info: ValidationInfo) -> Any:
        if not (isinstance(data, dict) and info.context and info.context.get(TOLERANT_KEY)):
            return data  # validated strictly: `extra="forbid"` refuses them
        if not data.keys() <= _known(cls):
            raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
        return data


class Event(Contract):
    """A fact a producer publishes."""

    producer: ClassVar[str]
    routing_key: ClassVar[str]
    audience: ClassVar[str | None] = None
    """The partner agency a projection is for (None: an internal event on the producer's
    own exchange)."""


E = TypeVar("E", bound=Event)
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


def exchange_for(model: type[Event] | Event) -> str:
    """The exchange a message is published on: `siquan.partners` for an agency's
    projection, else its producer's own exchange."""
    from siquan.contracts.topology import PARTNERS_EXCHANGE, exchange_of

    return PARTNERS_EXCHANGE if model.audience else exchange_of(model.producer)


def read(model: type[E], body: bytes | str) -> E:
    """A received message body as `model`, ignoring fields this reader does not know."""
    return model.model_validate_json(body, extra="ignore", context=dict(TOLERANT))


def read_data(model: type[E], data: Mapping[str, Any]) -> E:
    """Like `read`, from already decoded JSON data."""
    return model.model_validate(dict(data), extra="ignore", context=dict(TOLERANT))
