"""An allocation request from disbursement: reserve the run's control total if the special
account covers it, else refuse with the shortfall and keep the request waiting for money.

Idempotent by run id, not only by message id: a second request for the same run changes
nothing (and one that asks for something different is dead-lettered as a broken rule).
Requests for one account are serialised by the account's lock, so two instances cannot
both reserve what only one of them is covered for.
"""

from __future__ import annotations

import logging
import uuid

from siquan.contracts.disbursement_v1 import AllocationRequested
from siquan.contracts.fund_custody_v1 import AllocationRejected
from siquan.fund_custody.application.funding import approve, known_program
from siquan.fund_custody.application.ports import FundCustodyUnit
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.errors import AccountClosed, FundRuleBroken
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.registry import handles

log = logging.getLogger(__name__)


@handles(AllocationRequested)
async def allocate_to_run(request: AllocationRequested, uow: FundCustodyUnit) -> None:
    if not known_program(request.program_code):
        raise FundRuleBroken(f"program {request.program_code!r} is not in the policy catalogue")
    key = AccountKey(request.program_code, request.fiscal_year, request.division_code)
    account = await uow.accounts.lock_or_open(key)
    if account.closed:
        raise AccountClosed(f"run {request.run_id} asks for money from {key}, which is "
                            "closed by its year-end statement")
    existing = await uow.allocations.get(request.run_id, for_update=True)
    if existing is not None:
        _check_same_request(existing, key, request)
        log.info("allocation for run %s already %s; request ignored", request.run_id,
                 existing.status)
        return
    allocation = Allocation(
        id=str(uuid.uuid4()), run_id=request.run_id, special_account_id=account.id, key=key,
        period=request.period, payee_count=request.payee_count, total_fen=request.total_fen,
        requested_at=uow.now())
    await uow.allocations.add(allocation)
    if account.can_reserve(allocation.total_fen):
        await approve(uow, account, allocation)
    else:
        uow.publish(_rejection(account, request))


def _rejection(account: SpecialAccount, request: AllocationRequested) -> AllocationRejected:
    key, available = account.key, account.books.available_fen
    shortfall = account.shortfall(request.total_fen)
    return AllocationRejected(
        run_id=request.run_id, program_code=key.program_code, period=request.period,
        division_code=key.division_code, requested_fen=request.total_fen,
        available_fen=available, shortfall_fen=shortfall,
        reason=(f"special account {key} holds {available} fen available, {shortfall} fen "
                f"short of the run's {request.total_fen} fen; the run waits until an "
                "appropriation covers it"))


def _check_same_request(existing: Allocation, key: AccountKey,
                        request: AllocationRequested) -> None:
    if (existing.key, existing.period, existing.total_fen) != (key, request.period,
                                                               request.total_fen):
        raise FundRuleBroken(
            f"run {request.run_id} already asked for {existing.total_fen} fen from "
            f"{existing.key} for {existing.period}; a different request for it is refused")
