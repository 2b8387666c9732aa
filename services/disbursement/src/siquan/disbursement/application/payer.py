"""The payer: works allocated runs through the bank a chunk at a time, and completes them.

For each chunk, in one transaction that holds the chunk's payment rows:
1. ask the bank what it already recorded for these payment ids (a previous attempt may
   have reached it before a crash): those results are taken as they are;
2. re-check the others (certification still active for the period, no hold) and cancel
   those that may no longer be paid;
3. instruct the bank with the rest;
4. record every result and queue `PaymentsSettled` / `PaymentsFailed` for the chunk.
A crash anywhere rolls the chunk back to pending; the bank's idempotency by payment id and
step 1 make the retry pay nobody twice. When nothing is pending the run completes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from opentelemetry import propagate, trace

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.adapters import payments, runs
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.adapters.payments import Finished, Outcome
from siquan.disbursement.application.allocations import PAYER_CHANNEL
from siquan.disbursement.application.ports import Bank, BankResult, PaymentInstruction
from siquan.disbursement.domain.payment import PaymentCheck
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.shared.outbox import Outbox

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("siquan.disbursement.payer")


class Payer:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, bank: Bank, *, chunk_size: int,
                 poll_seconds: float) -> None:
        self._pool, self._outbox, self._bank = pool, outbox, bank
        self._chunk_size, self._poll_seconds = chunk_size, poll_seconds
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Pay until cancelled; wakes on NOTIFY from an approved allocation or every poll."""
        await self._bank.open()
        try:
            async with self._pool.acquire() as listener:
                await listener.add_listener(PAYER_CHANNEL, self._on_notify)
                try:
                    while True:
                        self._wake.clear()
                        if not await self.work_once():
                            await self._idle()
                finally:
                    await listener.remove_listener(PAYER_CHANNEL, self._on_notify)
        finally:
            await self._bank.close()

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
        except TimeoutError:
            pass

    async def work_once(self) -> bool:
        """Pay one chunk or complete one run; False when there was nothing to do."""
        async with self._pool.acquire() as conn:
            run_ids = await runs.allocated(conn)
        for run_id in run_ids:
            if await self._in_run_trace(run_id, "payment chunk", self.pay_chunk) or \
                    await self._in_run_trace(run_id, "payment run completion", self.complete):
                return True
        return False

    async def _in_run_trace(self, run_id: str, name: str,
                            step: Callable[[str], Awaitable[bool]]) -> bool:
        """Run a step of a run inside the trace of the allocation that released it."""
        async with self._pool.acquire() as conn:
            parent = propagate.extract(await runs.trace_context(conn, run_id))
        with _tracer.start_as_current_span(name, context=parent,
                                           attributes={"siquan.run_id": run_id}):
            return await step(run_id)

    async def pay_chunk(self, run_id: str) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            run = await runs.get(conn, run_id)
            claimed = await payments.claim_pending(conn, run_id, self._chunk_size)
            if not claimed:
                return False
            outcomes = await self._outcomes(claimed)
            sent = any(o.status != "cancelled" for o in outcomes)
            chunk = await runs.next_chunk(conn, run_id) if sent else None
            finished = await payments.finish(conn, outcomes, chunk)
            if chunk is not None:
                await self._announce_chunk(conn, run, chunk, finished)
        log.info("run %s: %d payments finished (chunk %s)", run_id, len(finished), chunk)
        return True

    async def _outcomes(self, claimed: list[PaymentCheck]) -> list[Outcome]:
        known = {r.payment_id: r for r in await self._bank.results(
            [c.payment.id for c in claimed])}
        outcomes: list[Outcome] = []
        to_send: list[PaymentCheck] = []
        for check in claimed:
            obstacle = None if check.payment.id in known else check.obstacle()
            if obstacle is not None:
                outcomes.append(Outcome(check.payment.id, "cancelled", obstacle))
            elif check.payment.id not in known:
                to_send.append(check)
        if to_send:
            results = await self._bank.instruct([_instruction(c) for c in to_send])
            known.update((r.payment_id, r) for r in results)
        missing = [c.payment.id for c in to_send if c.payment.id not in known]
        if missing:
            raise RuntimeError(f"the bank returned no result for {len(missing)} payments")
        outcomes += [_outcome(r) for r in known.values()]
        return outcomes

    async def _announce_chunk(self, conn: Connection, run: PaymentRun, chunk: int,
                              finished: list[Finished]) -> None:
        common: dict[str, Any] = {"run_id": run.id, "program_code": run.program_code,
                                  "period": run.period, "division_code": run.division_code,
                                  "chunk": chunk}
        settled = tuple(events.SettledPayment(
            payment_id=f.payment_id, person_key=f.person_key,
            certification_id=f.certification_id, item=f.item, amount_fen=f.amount_fen,
            bank_reference=f.bank_reference or "") for f in finished if f.status == "settled")
        failed = tuple(events.FailedPayment(
            payment_id=f.payment_id, person_key=f.person_key, amount_fen=f.amount_fen,
            reason=f.reason) for f in finished if f.status == "failed")
        if settled:
            await self._outbox.add(conn, events.PaymentsSettled(**common, payments=settled),
                                   correlation_id=run.id)
        if failed:
            await self._outbox.add(conn, events.PaymentsFailed(**common, payments=failed),
                                   correlation_id=run.id)

    async def complete(self, run_id: str) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            run = await runs.get(conn, run_id, for_update=True)
            if run.status != "allocated" or await payments.any_pending(conn, run_id):
                return False
            totals = await runs.totals(conn, run_id)
            run.complete(totals, datetime.now(UTC))
            await runs.save(conn, run)
            await self._outbox.add(conn, events.PaymentRunCompleted(
                run_id=run.id, program_code=run.program_code, period=run.period,
                division_code=run.division_code, payee_count=run.payee_count,
                total_fen=run.total_fen, settled_count=totals.settled_count,
                settled_fen=totals.settled_fen, failed_count=totals.failed_count,
                failed_fen=totals.failed_fen, cancelled_count=totals.cancelled_count,
                cancelled_fen=totals.cancelled_fen), correlation_id=run.id)
        log.info("run %s completed: %d settled, %d failed, %d cancelled", run_id,
                 totals.settled_count, totals.failed_count, totals.cancelled_count)
        return True


def _instruction(check: PaymentCheck) -> PaymentInstruction:
    payment = check.payment
    return PaymentInstruction(payment_id=payment.id, bank_code=payment.account.bank_code,
                              account_number=payment.account.account_number,
                              amount_fen=payment.amount_fen, remittance=payment.remittance)


def _outcome(result: BankResult) -> Outcome:
    return Outcome(result.payment_id, result.outcome, result.reason, result.bank_reference)
