"""A run's results: settled chunks move money from the run's reservation to paid_out (once
per chunk, never beyond the reservation); failed chunks are counted; the completed run is
settled and what it did not spend goes back to the available balance."""

from __future__ import annotations

import logging

from siquan.contracts.disbursement_v1 import PaymentRunCompleted, PaymentsFailed, PaymentsSettled
from siquan.contracts.fund_custody_v1 import SettlementCompleted
from siquan.fund_custody.adapters import allocations, ledger
from siquan.fund_custody.adapters.allocations import Chunk
from siquan.fund_custody.application.events import event_of
from siquan.fund_custody.application.funding import approve_waiting, now
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.special_account import SpecialAccount
from siquan.shared.consumer import NotYet, Received
from siquan.shared.database import Connection

log = logging.getLogger(__name__)


async def lock_run(conn: Connection, run_id: str, program_code: str,
                    division_code: str) -> tuple[SpecialAccount, Allocation]:
    """The run's special account and allocation, locked in that order (as everywhere)."""
    seen = await allocations.get(conn, run_id)
    if seen is None:
        raise FundRuleBroken(f"run {run_id} has no allocation in fund custody")
    if (seen.key.program_code, seen.key.division_code) != (program_code, division_code):
        raise FundRuleBroken(f"run {run_id} belongs to {seen.key}, not to "
                             f"{program_code}/{division_code}")
    account = await ledger.lock_by_id(conn, seen.special_account_id)
    allocation = await allocations.get(conn, run_id, for_update=True)
    assert allocation is not None
    return account, allocation


async def on_payments_settled(r: Received) -> None:
    event = event_of(r, PaymentsSettled)
    account, allocation = await lock_run(r.conn, event.run_id, event.program_code,
                                          event.division_code)
    chunk = Chunk(len(event.payments), sum(p.amount_fen for p in event.payments))
    known = await allocations.settled_chunk(r.conn, event.run_id, event.chunk)
    if known is not None:
        if known != chunk:
            raise FundRuleBroken(f"chunk {event.chunk} of run {event.run_id} was {known}, "
                                 f"now reported as {chunk}")
        log.info("chunk %d of run %s already settled; ignored", event.chunk, event.run_id)
        return
    allocation.record_paid(chunk.amount_fen)
    transaction = account.pay(event.run_id, event.chunk, chunk.amount_fen)
    # The chunk first: the database lets money into paid_out only for a recorded chunk.
    await allocations.add_settled_chunk(r.conn, event.run_id, event.chunk, chunk)
    if transaction is not None:
        await ledger.record(r.conn, account, transaction)
    await allocations.save(r.conn, allocation)


async def on_payments_failed(r: Received) -> None:
    event = event_of(r, PaymentsFailed)
    seen = await allocations.get(r.conn, event.run_id)
    if seen is None:
        raise FundRuleBroken(f"run {event.run_id} has no allocation in fund custody")
    failure = Chunk(len(event.payments), sum(p.amount_fen for p in event.payments))
    if not await allocations.add_failed_chunk(r.conn, event.run_id, event.chunk, failure):
        log.info("failed chunk %d of run %s already counted", event.chunk, event.run_id)


async def on_run_completed(r: Received) -> None:
    event = event_of(r, PaymentRunCompleted)
    account, allocation = await lock_run(r.conn, event.run_id, event.program_code,
                                          event.division_code)
    if allocation.status in ("settled", "cancelled"):
        log.info("run %s already %s; completion ignored", event.run_id, allocation.status)
        return
    totals = await allocations.chunk_totals(r.conn, event.run_id)
    if (event.settled_chunks or 0) > totals["settled_chunks"] or \
            (event.failed_chunks or 0) > totals["failed_chunks"]:
        raise NotYet(f"run {event.run_id} completed with {event.settled_chunks} settled and "
                     f"{event.failed_chunks} failed chunks; {totals['settled_chunks']} and "
                     f"{totals['failed_chunks']} handled so far")
    held = account.books.reserved_for(event.run_id)
    if held != allocation.reserved_fen - allocation.paid_fen:
        raise FundRuleBroken(f"run {event.run_id}: the ledger holds {held} fen but the "
                             f"allocation expects {allocation.reserved_fen - allocation.paid_fen}")
    released = allocation.settle(event.settled_fen, totals["settled_fen"], now())
    transaction = account.release(event.run_id)
    if transaction is not None:
        await ledger.record(r.conn, account, transaction)
    await allocations.save(r.conn, allocation)
    await r.publish(SettlementCompleted(
        run_id=event.run_id, program_code=event.program_code, period=event.period,
        division_code=event.division_code, reserved_fen=allocation.reserved_fen,
        paid_fen=allocation.paid_fen, released_fen=released,
        available_fen=account.books.available_fen, returned_fen=allocation.returned_fen))
    if released:
        await approve_waiting(r.conn, account, r.publish)
