"""What a rule cites about the message it handles: its id (the evidence a finding names)
and the business time of what it tells."""

from __future__ import annotations

import uuid
from datetime import datetime

from siquan.contracts.disbursement_v1 import PaymentRunStarted
from siquan.oversight.application.ports import Unit
from siquan.oversight.domain.envelope import moment_of


def message_id_of(uow: Unit) -> str:
    """The handled message's id, as the audit log keeps it."""
    causation = uow.cause.causation_id
    if not causation:
        raise ValueError("a rule handles a message: its unit names no causing message")
    return str(uuid.UUID(causation))


def run_started_at(e: PaymentRunStarted, uow: Unit) -> datetime | None:
    """When the run's roster was frozen, as the event states it (its business time). An
    event from a producer that does not state it yet is dated by the occurred-at its
    producer signed, which disbursement stamps in the transaction that freezes the roster;
    never by when oversight received it (None: the start is not known, and no account
    change is measured against it)."""
    if e.started_at is not None:
        return e.started_at
    return told_at(uow)


def told_at(uow: Unit) -> datetime | None:
    """When the handled message's producer says it occurred (its signed occurred-at; None:
    not stated)."""
    headers = getattr(uow.message, "headers", None) or {}
    return moment_of(headers.get("x-siquan-occurred-at"))
