"""Narrowing a received event to the contract model its routing key promises."""

from __future__ import annotations

from typing import TypeVar

from siquan.contracts.base import Event
from siquan.shared.consumer import Received, RuleBroken

E = TypeVar("E", bound=Event)


def event_of(r: Received, model: type[E]) -> E:
    if not isinstance(r.event, model):
        raise RuleBroken(f"expected {model.routing_key}, got {r.event.routing_key}")
    return r.event
