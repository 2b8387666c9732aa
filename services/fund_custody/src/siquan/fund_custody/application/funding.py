"""Reserving money for a run, shared by the allocation request, a later appropriation, a
settlement or a return that frees money, and a balance brought forward: each approval
posts the reservation, marks the allocation approved and publishes `AllocationApproved`,
all in the caller's unit of work (whose special account is locked)."""

from __future__ import annotations

from siquan.contracts.fund_custody_v1 import AllocationApproved
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.application.ports import FundCustodyUnit
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.special_account import SpecialAccount


def known_program(program_code: str) -> bool:
    """Special accounts exist only for the catalogue's programs that pay money."""
    return program_code in load_catalogue().cash_programs()


async def approve(uow: FundCustodyUnit, account: SpecialAccount,
                  allocation: Allocation) -> None:
    """Reserve the run's control total (the account must cover it) and announce it. The
    allocation is approved first: the database accepts a reservation only for an approved
    allocation of the same account."""
    allocation.approve(uow.now())
    await uow.allocations.save(allocation)
    transaction = account.reserve(allocation.run_id, allocation.total_fen)
    if transaction is not None:
        await uow.ledger.record(account, transaction)
    uow.publish(AllocationApproved(
        allocation_id=allocation.id, run_id=allocation.run_id,
        program_code=allocation.key.program_code, period=allocation.period,
        division_code=allocation.key.division_code, amount_fen=allocation.total_fen,
        available_fen=account.books.available_fen))


async def approve_waiting(uow: FundCustodyUnit, account: SpecialAccount) -> list[str]:
    """Fund the waiting allocations the balance now covers, oldest request first; an older
    run too large for the balance does not hold back a newer one that fits."""
    approved = []
    for allocation in await uow.allocations.waiting(account.id):
        if account.can_reserve(allocation.total_fen):
            await approve(uow, account, allocation)
            approved.append(allocation.run_id)
    return approved
