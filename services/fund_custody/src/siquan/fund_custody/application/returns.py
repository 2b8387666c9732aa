"""Payments the bank settled and sent back days later (a closed account, a death): the money
comes back into the special account as available, once per (run, chunk) and once per
payment, never more for a run than the run paid.

The run's allocation keeps the identity reserved = (paid − returned) + returned + released.
A return for a run whose fiscal year is already closed by its year-end statement is booked
into the first open later year of the program's account, whose statement then shows it;
the closed year's statement stays as it was published.
"""

from __future__ import annotations

import logging

from siquan.contracts.disbursement_v1 import PaymentsReturned
from siquan.fund_custody.application.funding import approve_waiting
from siquan.fund_custody.application.ports import Chunk, FundCustodyUnit
from siquan.fund_custody.application.settlement import lock_run, per_period
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.registry import handles

log = logging.getLogger(__name__)


@handles(PaymentsReturned)
async def take_back_returned_chunk(event: PaymentsReturned, uow: FundCustodyUnit) -> None:
    account, allocation = await lock_run(uow, event.run_id, event.program_code,
                                         event.division_code)
    returned = Chunk.of(event.payments)
    known = await uow.settlements.returned(event.run_id, event.chunk)
    if known is not None:
        if known != returned:
            raise FundRuleBroken(f"returned chunk {event.chunk} of run {event.run_id} was "
                                 f"{known}, now reported as {returned}")
        log.info("returned chunk %d of run %s already booked; ignored", event.chunk,
                 event.run_id)
        return
    payments = [(p.payment_id, p.amount_fen) for p in event.payments]
    await _check_first_return(uow, event.run_id, [p for p, _ in payments])
    allocation.record_returned(returned.amount_fen)
    target = await open_account_for(uow, account)
    transaction = target.take_return(event.run_id, event.chunk, returned.amount_fen)
    # The chunk first: the database lets money in from the bank only for a recorded chunk.
    await uow.settlements.add_returned(event.run_id, event.chunk, returned, target.id,
                                       payments)
    await uow.settlements.add_periods(event.run_id, "returned", event.chunk,
                                      per_period(event.period, event.payments))
    if transaction is not None:
        await uow.ledger.record(target, transaction)
    await uow.allocations.save(allocation)
    log.info("run %s: %d returned payments, %d fen back in %s", event.run_id,
             returned.payment_count, returned.amount_fen, target.key)
    if returned.amount_fen:
        await approve_waiting(uow, target)


async def _check_first_return(uow: FundCustodyUnit, run_id: str,
                              payment_ids: list[str]) -> None:
    if len(set(payment_ids)) != len(payment_ids):
        raise FundRuleBroken(f"a returned chunk of run {run_id} lists a payment twice")
    again = await uow.settlements.already_returned(payment_ids)
    if again:
        raise FundRuleBroken(f"payments {', '.join(sorted(again))} of run {run_id} were "
                             "already returned")


async def open_account_for(uow: FundCustodyUnit, account: SpecialAccount) -> SpecialAccount:
    """The run's own account while its year is open, else the first open later year."""
    if not account.closed:
        return account
    year = await uow.accounts.first_open_year_after(account.key)
    return await uow.accounts.lock_or_open(
        AccountKey(account.key.program_code, year, account.key.division_code))
