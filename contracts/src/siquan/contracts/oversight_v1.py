"""Events published by oversight (社会监督), major version 1, on `siquan.oversight`."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from siquan.contracts.base import Event, register
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import OfficerId, PersonKey, ProgramCode


class _Oversight(Event):
    producer = "oversight"


class AuditCheckpoint(_Oversight):
    """The audit chain's head, published so outsiders can pin it."""

    routing_key = RoutingKey.AUDIT_CHECKPOINT
    sequence: int = Field(ge=0, description="Sequence number of the head entry")
    head_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the head entry")
    at: datetime = Field(description="When the checkpoint was taken (UTC)")


class HoldPlaced(_Oversight):
    """Payments to a person are held until an auditor lifts the hold."""

    routing_key = RoutingKey.HOLD_PLACED
    hold_id: str = Field(description="Hold identifier (UUID)")
    person_key: PersonKey
    program_code: ProgramCode | None = Field(default=None, description="None: every program")
    reason: str = Field(description="Why the hold was placed")
    placed_by: OfficerId


class HoldLifted(_Oversight):
    """A hold is lifted; the person may be paid again."""

    routing_key = RoutingKey.HOLD_LIFTED
    hold_id: str = Field(description="Hold identifier (UUID)")
    person_key: PersonKey
    reason: str = Field(description="Why the hold was lifted")
    lifted_by: OfficerId
    lifted_at: datetime = Field(description="When (UTC)")


register(AuditCheckpoint, HoldPlaced, HoldLifted)
