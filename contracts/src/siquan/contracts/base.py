"""The base every message model derives from, and the registry that finds a model by type.

Producers are strict, readers tolerant: constructing or validating a message as usual
refuses an unknown field, so a producer cannot publish what its contract does not say;
a consumer reads with `read(model, body)` (validation context `TOLERANT`), which drops
the fields it does not know — a producer that added an optional field in the same major
version does not break the consumers that have not been updated yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

TOLERANT_KEY = "siquan.tolerant"
TOLERANT: Mapping[str, bool] = {TOLERANT_KEY: True}
"""Validation context of a reader that ignores fields it does not know."""


class Contract(BaseModel):
    """A message or a part of one (an entry, a line): frozen; unknown fields are refused,
    except when read with the `TOLERANT` context, which drops them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _ignore_unknown_when_reading(cls, data: Any, info: ValidationInfo) -> Any:
        if not (isinstance(data, dict) and info.context and info.context.get(TOLERANT_KEY)):
            return data
        # runs for every entry of a message (thousands in a chunk's): the names are worked
        # out once per model, and data with none unknown goes on as it is
        known = _KNOWN.get(cls)
        if known is None:
            known = _KNOWN[cls] = frozenset(cls.model_fields) | {
                f.alias for f in cls.model_fields.values() if f.alias}
        if known.issuperset(data):
            return data
        return {key: value for key, value in data.items() if key in known}


_KNOWN: dict[type[Contract], frozenset[str]] = {}
"""The field names and aliases of each contract model, for tolerant reading."""


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
    return model.model_validate_json(body, context=dict(TOLERANT))


def read_data(model: type[E], data: Mapping[str, Any]) -> E:
    """Like `read`, from already decoded JSON data."""
    return model.model_validate(dict(data), context=dict(TOLERANT))
