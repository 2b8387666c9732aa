"""A run's results: settled chunks move money from the run's reservation to paid_out (once
per chunk, never beyond the reservation); failed chunks are counted; the completed run is
settled and what it did not spend goes back to the available balance.

A settled payment the bank answered with a transfer it had made earlier under another
payment id (`transferred_as`: a run lost in a restore of disbursement's database and
started again; the lost run's allocation already paid that money out) is settled but not
paid out again: its chunk keeps it apart, and the run's reservation for it is released
with the rest when the run settles.

Each settled chunk costs a handful of statements whatever its size (its payments are only
summed). The run's special account is locked first, so the same chunk reaching two
instances at once is paid by the first and found paid by the second. What a chunk paid for
each period (arrears and top-ups are for earlier periods than the run's) is kept with it,
so reports count it in the period it is for. A completion that
overtakes a chunk it counts waits for it (`NotYet`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from siquan.contracts.disbursement_v1 import (
    PaymentRunCompleted,
    PaymentsFailed,
    PaymentsSettled,
    ReturnedPayment,
    SettledPayment,
)
from siquan.contracts.fund_custody_v1 import SettlementCompleted
from siquan.fund_custody.application.funding import approve_waiting
from siquan.fund_custody.application.ports import (
    Chunk,
    FundCustodyUnit,
    RunTotals,
    SettledAmount,
    SettledChunk,
    transferred_earlier,
)
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.special_account import SpecialAccount
from siquan.shared.consumer import NotYet
from siquan.shared.registry import handles

log = logging.getLogger(__name__)


async def lock_run(uow: FundCustodyUnit, run_id: str, program_code: str,
                   division_code: str) -> tuple[SpecialAccount, Allocation]:
    """The run's special account and allocation, locked in that order (as everywhere)."""
    seen = await uow.allocations.get(run_id)
    if seen is None:
        raise FundRuleBroken(f"run {run_id} has no allocation in fund custody")
    if (seen.key.program_code, seen.key.division_code) != (program_code, division_code):
        raise FundRuleBroken(f"run {run_id} belongs to {seen.key}, not to "
                             f"{program_code}/{division_code}")
    account = await uow.accounts.lock(seen.special_account_id)
    allocation = await uow.allocations.get(run_id, for_update=True)
    assert allocation is not None  # allocations are never deleted
    return account, allocation


@handles(SettledChunk)
async def pay_settled_chunk(event: PaymentsSettled, uow: FundCustodyUnit) -> None:
    """A settled chunk, read as `SettledChunk` (a whole `PaymentsSettled` does too)."""
    account, allocation = await lock_run(uow, event.run_id, event.program_code,
                                         event.division_code)
    chunk = Chunk.of(event.payments)
    known = await uow.settlements.settled(event.run_id, event.chunk)
    if known is not None:
        if known != chunk:
            raise FundRuleBroken(f"chunk {event.chunk} of run {event.run_id} was {known}, "
                                 f"now reported as {chunk}")
        log.info("chunk %d of run %s already settled; ignored", event.chunk, event.run_id)
        return
    allocation.record_paid(chunk.amount_fen)
    transaction = account.pay(event.run_id, event.chunk, chunk.amount_fen)
    # The chunk first: the database lets money into paid_out only for a recorded chunk.
    await uow.settlements.add_settled(event.run_id, event.chunk, chunk)
    await uow.settlements.add_periods(event.run_id, "settled", event.chunk,
                                      per_period(event.period, [
                                          p for p in event.payments
                                          if not transferred_earlier(p)]))
    if transaction is not None:
        await uow.ledger.record(account, transaction)
    await uow.allocations.save(allocation)


@handles(PaymentsFailed)
async def count_failed_chunk(event: PaymentsFailed, uow: FundCustodyUnit) -> None:
    if await uow.allocations.get(event.run_id) is None:
        raise FundRuleBroken(f"run {event.run_id} has no allocation in fund custody")
    if not await uow.settlements.add_failed(event.run_id, event.chunk, Chunk.of(event.payments)):
        log.info("failed chunk %d of run %s already counted", event.chunk, event.run_id)


@handles(PaymentRunCompleted)
async def settle_run(event: PaymentRunCompleted, uow: FundCustodyUnit) -> None:
    account, allocation = await lock_run(uow, event.run_id, event.program_code,
                                         event.division_code)
    if allocation.status in ("settled", "cancelled"):
        log.info("run %s already %s; completion ignored", event.run_id, allocation.status)
        return
    totals = await uow.settlements.totals(event.run_id)
    _check_every_chunk_seen(event, totals)
    held = account.books.reserved_for(event.run_id)
    if held != allocation.reserved_fen - allocation.paid_fen:
        raise FundRuleBroken(f"run {event.run_id}: the ledger holds {held} fen but the "
                             f"allocation expects {allocation.reserved_fen - allocation.paid_fen}")
    released = allocation.settle(event.settled_fen, totals.settled_fen, uow.now(),
                                 transferred_earlier_fen=totals.settled_earlier_fen)
    transaction = account.release(event.run_id)
    if transaction is not None:
        await uow.ledger.record(account, transaction)
    await uow.allocations.save(allocation)
    uow.publish(SettlementCompleted(
        run_id=event.run_id, program_code=event.program_code, period=event.period,
        division_code=event.division_code, reserved_fen=allocation.reserved_fen,
        paid_fen=allocation.paid_fen, released_fen=released,
        available_fen=account.books.available_fen, returned_fen=allocation.returned_fen))
    if released:
        await approve_waiting(uow, account)


def per_period(run_period: str,
               payments: Sequence[SettledPayment | SettledAmount | ReturnedPayment]
               ) -> dict[str, int]:
    """Fen per period paid: an arrear's or a top-up's own period, else the run's."""
    amounts: dict[str, int] = {}
    for p in payments:
        period = p.period or run_period
        amounts[period] = amounts.get(period, 0) + p.amount_fen
    return amounts


def _check_every_chunk_seen(event: PaymentRunCompleted, totals: RunTotals) -> None:
    if (event.settled_chunks or 0) > totals.settled_chunks or \
            (event.failed_chunks or 0) > totals.failed_chunks:
        raise NotYet(f"run {event.run_id} completed with {event.settled_chunks} settled and "
                     f"{event.failed_chunks} failed chunks; {totals.settled_chunks} and "
                     f"{totals.failed_chunks} handled so far")
