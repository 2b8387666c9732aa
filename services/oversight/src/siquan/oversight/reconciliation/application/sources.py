"""What a rule cites about the message it handles: its id (the evidence a finding names)
and when the producer says it happened."""

from __future__ import annotations

import uuid
from datetime import datetime

from siquan.oversight.application.ports import Unit
from siquan.oversight.domain.envelope import moment_of


def message_id_of(uow: Unit) -> str:
    """The handled message's id, as the audit log keeps it."""
    causation = uow.cause.causation_id
    if not causation:
        raise ValueError("a rule handles a message: its unit names no causing message")
    return str(uuid.UUID(causation))


def occurred_at_of(uow: Unit) -> datetime:
    """When the producer says the handled event happened (its signed header); the unit's
    clock when the message does not say."""
    headers = getattr(uow.message, "headers", None) or {}
    return moment_of(headers.get("x-siquan-occurred-at")) or uow.now()
