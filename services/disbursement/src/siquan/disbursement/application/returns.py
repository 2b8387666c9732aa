"""Payments the bank settled and returned days later (account closed, holder deceased, ...).

A supervised loop asks the bank every `poll_seconds` for the returns up to today (by the
service's clock), from a little before the last day it already covered (`lookback_days`:
a bank's return file may arrive late) so nothing is missed. `record_returns` turns each
returned payment still `settled` here into `returned` (the only change a settled payment
may undergo) and announces those of one run together as `PaymentsReturned` (one return
batch of the run), in the same unit of work — and an overpaid payment among them repays
its receivable (`recovery.recover_returned`). A return seen again changes nothing, also
when two instances see it at once. A return for a payment still pending here (a chunk
recovering from a crash) is taken on a later pass, once settled.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.application.ports import Bank, BankReturn
from siquan.disbursement.application.recovery import recover_returned
from siquan.disbursement.application.repositories import Returned, Units, Work
from siquan.disbursement.application.runs import correlate
from siquan.disbursement.domain.roster import payment_label

log = logging.getLogger(__name__)
EARLIEST = date(2000, 1, 1)


class ReturnWatcher:
    def __init__(self, units: Units, bank: Bank, *, poll_seconds: float,
                 lookback_days: int = 60) -> None:
        self._units, self._bank = units, bank
        self._poll, self._lookback = poll_seconds, timedelta(days=lookback_days)

    async def run(self) -> None:
        await self._bank.open()
        try:
            while True:
                await self.check_once()
                await asyncio.sleep(self._poll)
        finally:
            await self._bank.close()

    async def check_once(self) -> int:
        """Record the returns the bank reports; how many payments became returned."""
        async with self._units.reading() as uow:
            covered, through = await uow.return_cursor.covered(), uow.clock.today()
        after = max((covered or EARLIEST) - self._lookback, EARLIEST)
        returned = await self._bank.returns(after, through)
        async with self._units() as uow:
            recorded = await record_returns(uow, returned, through)
        if recorded:
            log.info("%d payments returned by the bank", recorded)
        return recorded


async def record_returns(uow: Work, returned: Sequence[BankReturn], through: date) -> int:
    """Mark the returned payments, announce them by run, and remember the day covered."""
    rows = await uow.payments.mark_returned(returned) if returned else []
    by_run: dict[str, list[Returned]] = defaultdict(list)
    for row in rows:
        by_run[row.run_id].append(row)
    for run_id, payments in sorted(by_run.items()):
        run = await uow.runs.get(run_id, for_update=True)
        batch = await uow.runs.next_return_batch(run_id)
        correlate(uow, run_id)
        uow.publish(events.PaymentsReturned(
            run_id=run_id, program_code=run.program_code, period=run.period,
            division_code=run.division_code, chunk=batch, payments=tuple(
                events.ReturnedPayment(
                    payment_id=p.payment_id, person_key=p.person_key,
                    amount_fen=p.amount_fen, reason=p.reason, returned_on=p.returned_on,
                    period=p.period if p.period != run.period else None,
                    item=payment_label(p.period, p.period != run.period, p.item),
                    bank_reference=p.bank_reference)
                for p in payments)))
    if rows:
        await recover_returned(uow, [(p.payment_id, p.amount_fen, p.bank_reference)
                                     for p in rows])
    await uow.return_cursor.advance(through)
    return len(rows)
