"""Reading an older major version of a message as a newer one.

A breaking change to a message is a new major version (`thing.happened.v2`) published
beside the old one until every consumer has moved. A consumer whose handler takes the new
version still receives the old one — from producer instances not yet upgraded, or still
queued — and reads it through an upcaster, a function from the old event to the new:

    @upcaster(ThingHappenedV1, ThingHappenedV2)
    def upcast_v1_v2(old: ThingHappenedV1) -> ThingHappenedV2:
        return ThingHappenedV2(**old.model_dump(), new_field="what v1 meant")

Upcasters chain (v1 → v2 → v3). The handler registry binds a queue to every older key an
upcaster path leads from, and admission turns such a message into the version the
queue's handlers take (`upcast`). A producer that publishes one fact under both versions
gives both messages the same message id, so a consumer bound to both handles it once (its
inbox skips the second).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from siquan.contracts.base import Event

E = TypeVar("E", bound=Event)
Convert = Callable[[Any], Event]
_KEY = re.compile(r"^(?P<name>.+)\.v(?P<major>[1-9][0-9]*)$")


@dataclass(frozen=True)
class Upcaster:
    """One step: a message of `source` (routing key) read as one of `target`."""

    source: str
    target: str
    convert: Convert


_UPCASTERS: dict[str, Upcaster] = {}  # by source routing key


def version_of(routing_key: str) -> tuple[str, int]:
    """`certification.granted.v1` → (`certification.granted`, 1)."""
    match = _KEY.match(routing_key)
    if match is None:
        raise ValueError(f"{routing_key!r} does not end in its major version (.v<n>)")
    return match["name"], int(match["major"])


def register_upcaster(source: type[Event], target: type[Event], convert: Convert) -> None:
    """Read `source` messages as `target`: the same message of the same producer, one
    major version up."""
    name, major = version_of(source.routing_key)
    if source.producer != target.producer or version_of(target.routing_key) != (name,
                                                                                 major + 1):
        raise ValueError(f"an upcaster reads one major version as the next of the same "
                         f"producer's message, not {source.routing_key} as "
                         f"{target.routing_key}")
    _UPCASTERS[source.routing_key] = Upcaster(source.routing_key, target.routing_key,
                                              convert)


def upcaster(source: type[Event], target: type[E]) -> Callable[[Callable[[Any], E]],
                                                                Callable[[Any], E]]:
    """Decorator form of `register_upcaster`."""

    def mark(convert: Callable[[Any], E]) -> Callable[[Any], E]:
        register_upcaster(source, target, convert)
        return convert

    return mark


def path(source: str, target: str) -> list[Upcaster]:
    """The upcasters that lead from one routing key to another; KeyError if none do."""
    steps: list[Upcaster] = []
    key = source
    while key != target:
        step = _UPCASTERS.get(key)
        if step is None:
            raise KeyError(f"no upcaster reads {source} as {target}")
        steps.append(step)
        key = step.target
    return steps


def older_keys(routing_key: str) -> tuple[str, ...]:
    """Every routing key an upcaster path leads from to `routing_key`, newest first."""
    found: list[str] = []
    wanted = {routing_key}
    changed = True
    while changed:
        changed = False
        for step in _UPCASTERS.values():
            if step.target in wanted and step.source not in wanted:
                wanted.add(step.source)
                found.append(step.source)
                changed = True
    return tuple(sorted(found, key=lambda key: -version_of(key)[1]))


def upcast(event: Event, target: type[E]) -> E:
    """`event` as the `target` version of its message (itself when it already is)."""
    current: Event = event
    for step in path(event.routing_key, target.routing_key):
        current = step.convert(current)
        if not isinstance(current, Event) or current.routing_key != step.target:
            raise TypeError(f"upcaster {step.source} → {step.target} returned "
                            f"{type(current).__name__}")
    if not isinstance(current, target):
        raise TypeError(f"{event.routing_key} upcast to {type(current).__name__}, "
                        f"not {target.__name__}")
    return current
