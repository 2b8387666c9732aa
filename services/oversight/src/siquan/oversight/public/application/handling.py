"""Handling complaints: an auditor assigns a handler and resolves each one with an outcome
and a reason (publishing `complaint.resolved.v1`, correlated with its filing); a loop marks
those not resolved by their due date escalated, recording when. Each step is one unit of
work the caller opens."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from siquan.contracts.oversight_v1 import ComplaintResolved
from siquan.oversight.application.deferred import Origin
from siquan.oversight.public.application.ports import PublicUnit
from siquan.oversight.public.domain.complaints import Complaint, Outcome
from siquan.shared.auth import Officer
from siquan.shared.errors import NotFound
from siquan.shared.unit_of_work import Cause

log = logging.getLogger(__name__)


async def _locked(uow: PublicUnit, complaint_id: str, officer: Officer) -> Complaint:
    complaint = await uow.complaints.by_id(complaint_id, lock=True)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}")
    officer.check_scope(complaint.division_code)
    return complaint


async def assign(uow: PublicUnit, officer: Officer, complaint_id: str, handler: str
                 ) -> Complaint:
    (await _locked(uow, complaint_id, officer)).state.check_assignable()
    await uow.complaints.assign(complaint_id, handler, officer.id, uow.now())
    found = await uow.complaints.by_id(complaint_id)
    assert found is not None
    return found


async def resolve(uow: PublicUnit, officer: Officer, complaint_id: str, outcome: Outcome,
                  resolution: str) -> Complaint:
    """Resolve a complaint; the resolution answers (is correlated with) its filing."""
    now = uow.now()
    complaint = await _locked(uow, complaint_id, officer)
    complaint.state.check_resolvable()
    await uow.complaints.resolve(complaint_id, outcome=outcome, resolution=resolution,
                                 resolved_by=officer.id, at=now)
    filing = await uow.complaints.filed_message_id(complaint_id)
    uow.publish_for(Origin.here(Cause(filing, filing)), ComplaintResolved(
        complaint_id=complaint_id, application_id=complaint.application_id,
        outcome=outcome, resolution=resolution, resolved_by=officer.id, resolved_at=now))
    found = await uow.complaints.by_id(complaint_id)
    assert found is not None
    return found


async def escalate_overdue(uow: PublicUnit) -> int:
    escalated = await uow.complaints.escalate_overdue(uow.now())
    if escalated:
        log.info("escalated %d overdue complaints: %s", len(escalated), escalated)
    return len(escalated)


def escalation_loop(units: Callable[[], AbstractAsyncContextManager[Any]],
                    every_seconds: float) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            async with units() as uow:
                await escalate_overdue(uow)
            await asyncio.sleep(every_seconds)

    return loop
