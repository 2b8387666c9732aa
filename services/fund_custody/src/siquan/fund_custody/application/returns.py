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
from siquan.fund_custody.adapters import allocations, ledger
from siquan.fund_custody.adapters.allocations import Chunk
from siquan.fund_custody.application.events import event_of
from siquan.fund_custody.application.funding import approve_waiting
from siquan.fund_custody.application.settlement import lock_run
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.consumer import Received
from siquan.shared.database import Connection

log = logging.getLogger(__name__)


async def on_payments_returned(r: Received) -> None:
    event = event_of(r, PaymentsReturned)
    account, allocation = await lock_run(r.conn, event.run_id, event.program_code,
                                         event.division_code)
    returned = Chunk(len(event.payments), sum(p.amount_fen for p in event.payments))
    known = await allocations.returned_chunk(r.conn, event.run_id, event.chunk)
    if known is not None:
        if known != returned:
            raise FundRuleBroken(f"returned chunk {event.chunk} of run {event.run_id} was "
                                 f"{known}, now reported as {returned}")
        log.info("returned chunk %d of run %s already booked; ignored", event.chunk,
                 event.run_id)
        return
    payment_ids = [p.payment_id for p in event.payments]
    await _check_first_return(r.conn, event.run_id, payment_ids)
    allocation.record_returned(returned.amount_fen)
    target = await _open_account_for(r.conn, account)
    transaction = target.take_return(event.run_id, event.chunk, returned.amount_fen)
    # The chunk first: the database lets money in from the bank only for a recorded chunk.
    await allocations.add_returned_chunk(
        r.conn, event.run_id, event.chunk, returned, target.id,
        [(p.payment_id, p.amount_fen) for p in event.payments])
    if transaction is not None:
        await ledger.record(r.conn, target, transaction)
    await allocations.save(r.conn, allocation)
    log.info("run %s: %d returned payments, %d fen back in %s", event.run_id,
             returned.payment_count, returned.amount_fen, target.key)
    if returned.amount_fen:
        await approve_waiting(r.conn, target, r.publish)


async def _check_first_return(conn: Connection, run_id: str, payment_ids: list[str]) -> None:
    if len(set(payment_ids)) != len(payment_ids):
        raise FundRuleBroken(f"a returned chunk of run {run_id} lists a payment twice")
    again = await allocations.already_returned(conn, payment_ids)
    if again:
        raise FundRuleBroken(f"payments {', '.join(sorted(again))} of run {run_id} were "
                             "already returned")


async def _open_account_for(conn: Connection, account: SpecialAccount) -> SpecialAccount:
    """The run's own account while its year is open, else the first open later year."""
    if not account.closed:
        return account
    year = await ledger.first_open_year_after(conn, account.key)
    return await ledger.lock_or_open(
        conn, AccountKey(account.key.program_code, year, account.key.division_code))
