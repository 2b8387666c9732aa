"""An allocation request from disbursement: reserve the run's control total if the special
account covers it, else refuse with the shortfall and keep the request waiting for money.

Idempotent by run id, not only by message id: a second request for the same run changes
nothing (and one that asks for something different is dead-lettered as a broken rule).
"""

from __future__ import annotations

import logging
import uuid

from siquan.contracts.disbursement_v1 import AllocationRequested
from siquan.contracts.fund_custody_v1 import AllocationRejected
from siquan.fund_custody.adapters import allocations, ledger
from siquan.fund_custody.application.events import event_of
from siquan.fund_custody.application.funding import approve, known_program, now
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.errors import AccountClosed, FundRuleBroken
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.consumer import Received

log = logging.getLogger(__name__)


async def on_allocation_requested(r: Received) -> None:
    request = event_of(r, AllocationRequested)
    if not known_program(request.program_code):
        raise FundRuleBroken(f"program {request.program_code!r} is not in the policy catalogue")
    key = AccountKey(request.program_code, request.fiscal_year, request.division_code)
    account = await ledger.lock_or_open(r.conn, key)
    if account.closed:
        raise AccountClosed(f"run {request.run_id} asks for money from {key}, which is "
                            "closed by its year-end statement")
    existing = await allocations.get(r.conn, request.run_id, for_update=True)
    if existing is not None:
        _check_same_request(existing, key, request)
        log.info("allocation for run %s already %s; request ignored", request.run_id,
                 existing.status)
        return
    allocation = Allocation(
        id=str(uuid.uuid4()), run_id=request.run_id, special_account_id=account.id, key=key,
        period=request.period, payee_count=request.payee_count, total_fen=request.total_fen,
        requested_at=now())
    await allocations.add(r.conn, allocation)
    if account.can_reserve(allocation.total_fen):
        await approve(r.conn, account, allocation, r.publish)
        return
    await r.publish(AllocationRejected(
        run_id=request.run_id, program_code=key.program_code, period=request.period,
        division_code=key.division_code, requested_fen=request.total_fen,
        available_fen=account.books.available_fen,
        shortfall_fen=account.shortfall(request.total_fen),
        reason=(f"special account {key.program_code}/{key.fiscal_year}/{key.division_code} "
                f"holds {account.books.available_fen} fen available, "
                f"{account.shortfall(request.total_fen)} fen short of the run's "
                f"{request.total_fen} fen; the run waits until an appropriation covers it")))


def _check_same_request(existing: Allocation, key: AccountKey,
                        request: AllocationRequested) -> None:
    if (existing.key, existing.period, existing.total_fen) != (key, request.period,
                                                               request.total_fen):
        raise FundRuleBroken(
            f"run {request.run_id} already asked for {existing.total_fen} fen from "
            f"{existing.key} for {existing.period}; a different request for it is refused")
