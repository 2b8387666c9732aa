"""Reserving money for a run, shared by the allocation request, a later appropriation and a
settlement that frees money: each approval posts the reservation, marks the allocation
approved and queues `AllocationApproved`, all in the caller's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from siquan.contracts.base import Event
from siquan.contracts.fund_custody_v1 import AllocationApproved
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.adapters import allocations, ledger
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.special_account import SpecialAccount
from siquan.shared.database import Connection
from siquan.shared.outbox import Outbox

Publish = Callable[[Event], Awaitable[str]]


def now() -> datetime:
    return datetime.now(UTC)


def known_program(program_code: str) -> bool:
    """Special accounts exist only for the catalogue's programs that pay money."""
    return program_code in load_catalogue().cash_programs()


def publisher(outbox: Outbox, conn: Connection, *, caused_by: str | None = None) -> Publish:
    """Queue events in the caller's transaction (optionally as caused by an earlier one)."""
    async def publish(event: Event) -> str:
        return await outbox.add(conn, event, correlation_id=caused_by, causation_id=caused_by)
    return publish


async def approve(conn: Connection, account: SpecialAccount, allocation: Allocation,
                  publish: Publish) -> None:
    """Reserve the run's control total (the account must cover it) and announce it. The
    allocation is approved first: the database accepts a reservation only for an approved
    allocation of the same account."""
    allocation.approve(now())
    await allocations.save(conn, allocation)
    transaction = account.reserve(allocation.run_id, allocation.total_fen)
    if transaction is not None:
        await ledger.record(conn, account, transaction)
    await publish(AllocationApproved(
        allocation_id=allocation.id, run_id=allocation.run_id,
        program_code=allocation.key.program_code, period=allocation.period,
        division_code=allocation.key.division_code, amount_fen=allocation.total_fen,
        available_fen=account.books.available_fen))


async def approve_waiting(conn: Connection, account: SpecialAccount,
                          publish: Publish) -> list[str]:
    """Fund the waiting allocations the balance now covers, oldest request first; an older
    run too large for the balance does not hold back a newer one that fits."""
    approved = []
    for allocation in await allocations.waiting(conn, account.id):
        if account.can_reserve(allocation.total_fen):
            await approve(conn, account, allocation, publish)
            approved.append(allocation.run_id)
    return approved
