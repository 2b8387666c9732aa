"""Handling complaints: an auditor assigns a handler and resolves each one with an outcome
and a reason (publishing `complaint.resolved.v1`, correlated with its filing); a loop marks
those not resolved by their due date escalated, recording when."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from siquan.contracts.oversight_v1 import ComplaintResolved
from siquan.oversight.public.adapters import complaints
from siquan.oversight.public.domain.complaints import Complaint, Outcome
from siquan.shared.auth import Officer
from siquan.shared.clock import Clock
from siquan.shared.database import Connection
from siquan.shared.errors import NotFound
from siquan.shared.outbox import Outbox

log = logging.getLogger(__name__)


async def _locked(conn: Connection, complaint_id: str, officer: Officer) -> Complaint:
    complaint = await complaints.by_id(conn, complaint_id, lock=True)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}")
    officer.check_scope(complaint.division_code)
    return complaint


async def assign(pool: asyncpg.Pool, clock: Clock, officer: Officer, complaint_id: str,
                 handler: str) -> Complaint:
    async with pool.acquire() as conn, conn.transaction():
        (await _locked(conn, complaint_id, officer)).state.check_assignable()
        await complaints.assign(conn, complaint_id, handler, officer.id, clock.now())
        found = await complaints.by_id(conn, complaint_id)
    assert found is not None
    return found


async def resolve(pool: asyncpg.Pool, outbox: Outbox, clock: Clock, officer: Officer,
                  complaint_id: str, outcome: Outcome, resolution: str) -> Complaint:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        complaint = await _locked(conn, complaint_id, officer)
        complaint.state.check_resolvable()
        await complaints.resolve(conn, complaint_id, outcome=outcome, resolution=resolution,
                                 resolved_by=officer.id, at=now)
        filing = await complaints.filed_message_id(conn, complaint_id)
        await outbox.add(conn, ComplaintResolved(
            complaint_id=complaint_id, application_id=complaint.application_id,
            outcome=outcome, resolution=resolution, resolved_by=officer.id, resolved_at=now),
            correlation_id=filing, causation_id=filing)
        found = await complaints.by_id(conn, complaint_id)
    assert found is not None
    return found


async def escalate_overdue(pool: asyncpg.Pool, clock: Clock) -> int:
    async with pool.acquire() as conn, conn.transaction():
        escalated = await complaints.escalate_overdue(conn, clock.now())
    if escalated:
        log.info("escalated %d overdue complaints: %s", len(escalated), escalated)
    return len(escalated)


def escalation_loop(pool: Callable[[], asyncpg.Pool], clock: Clock, every_seconds: float
                    ) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            await escalate_overdue(pool(), clock)
            await asyncio.sleep(every_seconds)

    return loop
