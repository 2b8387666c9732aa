"""Payments the bank settled and returned days later (account closed, holder deceased, ...).

A supervised loop asks the bank every `poll_seconds` for the returns up to today (by the
service's clock), from a little before the last day it already covered (`lookback_days`:
a bank's return file may arrive late) so nothing is missed. Each returned payment still
`settled` here becomes `returned` (the only change a settled payment may undergo); those
of one run are announced together as `PaymentsReturned` (one return batch of the run),
in the same transaction. A return seen again changes nothing. A return for a payment still
pending here (a chunk recovering from a crash) is taken on a later pass, once settled.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import date, timedelta

import asyncpg

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.adapters import returns as stored
from siquan.disbursement.adapters import runs
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.application.ports import Bank, BankReturn
from siquan.disbursement.domain.roster import payment_label
from siquan.shared.clock import Clock
from siquan.shared.outbox import Outbox

log = logging.getLogger(__name__)
_EARLIEST = date(2000, 1, 1)


class ReturnWatcher:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, bank: Bank, clock: Clock, *,
                 poll_seconds: float, lookback_days: int = 60) -> None:
        self._pool, self._outbox, self._bank, self._clock = pool, outbox, bank, clock
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
        through = self._clock.today()
        async with self._pool.acquire() as conn:
            covered = await stored.cursor(conn)
        after = (covered or _EARLIEST) - self._lookback
        returned = await self._bank.returns(max(after, _EARLIEST), through)
        async with self._pool.acquire() as conn, conn.transaction():
            recorded = await self._record(conn, returned) if returned else 0
            await stored.advance_cursor(conn, through)
        if recorded:
            log.info("%d payments returned by the bank", recorded)
        return recorded

    async def _record(self, conn: Connection, returned: list[BankReturn]) -> int:
        rows = await stored.mark_returned(conn, returned)
        by_run: dict[str, list[stored.Returned]] = defaultdict(list)
        for row in rows:
            by_run[row.run_id].append(row)
        for run_id, payments in sorted(by_run.items()):
            run = await runs.get(conn, run_id, for_update=True)
            batch = await stored.next_batch(conn, run_id)
            await self._outbox.add(conn, events.PaymentsReturned(
                run_id=run_id, program_code=run.program_code, period=run.period,
                division_code=run.division_code, chunk=batch, payments=tuple(
                    events.ReturnedPayment(
                        payment_id=p.payment_id, person_key=p.person_key,
                        amount_fen=p.amount_fen, reason=p.reason, returned_on=p.returned_on,
                        period=p.period if p.period != run.period else None,
                        item=payment_label(p.period, p.period != run.period),
                        bank_reference=p.bank_reference)
                    for p in payments)), correlation_id=run_id)
        return len(rows)
