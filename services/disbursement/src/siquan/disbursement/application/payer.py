"""The payer: works allocated runs through the bank a chunk at a time, and completes them.

For each chunk, in one transaction that holds the chunk's payment rows:
1. ask the bank what it already recorded for these payment ids (a previous attempt may
   have reached it before a crash): those results are taken as they are;
2. re-check the others (certification still active for the period paid, no hold, nothing
   else settled for the same key) and cancel those that may no longer be paid;
3. instruct the bank with the rest, as one batch named `<run>-<chunk>`;
4. record every result and queue `PaymentsSettled` / `PaymentsFailed` for the chunk.
A crash anywhere rolls the chunk back to pending; the bank's idempotency by payment id and
step 1 make the retry pay nobody twice. A bank that does not answer (`BankUnavailable`)
rolls the chunk back too, and the payer tries again after `poll_seconds`. When nothing is
pending the run completes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from opentelemetry import propagate, trace

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.base import Event
from siquan.disbursement.adapters import payments, runs
from siquan.disbursement.adapters.payments import Claimed, Outcome
from siquan.disbursement.application.allocations import PAYER_CHANNEL
from siquan.disbursement.application.ports import Bank, BankUnavailable, PaymentInstruction
from siquan.disbursement.domain.payment import recheck, remittance
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import payment_label
from siquan.shared.clock import Clock, SystemClock
from siquan.shared.outbox import Outbox

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("siquan.disbursement.payer")


class Payer:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, bank: Bank, *, chunk_size: int,
                 poll_seconds: float, clock: Clock | None = None) -> None:
        self._pool, self._outbox, self._bank = pool, outbox, bank
        self._chunk_size, self._poll_seconds = chunk_size, poll_seconds
        self._clock = clock or SystemClock()
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
                        if not await self._work_or_wait():
                            await self._idle()
                finally:
                    await listener.remove_listener(PAYER_CHANNEL, self._on_notify)
        finally:
            await self._bank.close()

    async def _work_or_wait(self) -> bool:
        try:
            return await self.work_once()
        except BankUnavailable as exc:
            log.warning("bank unavailable, chunk rolled back: %s", exc)
            return False

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
        took = _Stopwatch()
        async with self._pool.acquire() as conn, conn.transaction():
            await payments.index_driven(conn)
            run = await runs.get(conn, run_id)
            if run.status != "allocated":
                return False
            claimed = await payments.claim_pending(conn, run_id, self._chunk_size)
            if not claimed:
                return False
            took.lap("claim")
            outcomes, chunk = await self._outcomes(run_id, claimed)
            took.lap("bank")
            await payments.finish(conn, outcomes, chunk)
            if chunk is not None:
                for event in chunk_events(run, chunk, claimed, outcomes):
                    await self._outbox.add(conn, event, correlation_id=run.id)
            took.lap("record")
        took.lap("commit")
        log.info("run %s: %d payments finished (chunk %s) in %s", run_id, len(outcomes),
                 chunk, took)
        return True

    async def _outcomes(self, run_id: str, claimed: list[Claimed]
                        ) -> tuple[dict[str, Outcome], int | None]:
        """Every claimed payment's outcome, and the chunk number when the bank had a part."""
        known = {r.payment_id: r for r in await self._bank.results(
            [c["payment_id"] for c in claimed])}
        outcomes: dict[str, Outcome] = {}
        to_send: list[PaymentInstruction] = []
        for c in claimed:
            payment_id = c["payment_id"]
            if payment_id in known:
                continue
            obstacle = recheck(c["period"], c["effective_from"], c["effective_until"],
                               held=c["held"], paid_elsewhere=c["paid_elsewhere"])
            if obstacle is not None:
                outcomes[payment_id] = Outcome("cancelled", obstacle)
            else:
                to_send.append(PaymentInstruction(
                    payment_id, c["bank_code"], c["account_number"], c["amount_fen"],
                    remittance(c["item"], c["period"], payment_id)))
        chunk = await self._next_chunk(run_id) if (known or to_send) else None
        if to_send:
            results = await self._bank.instruct(f"{run_id}-{chunk}", to_send)
            known.update((r.payment_id, r) for r in results)
        missing = [i.payment_id for i in to_send if i.payment_id not in known]
        if missing:
            raise RuntimeError(f"the bank returned no result for {len(missing)} payments")
        outcomes.update((r.payment_id, Outcome(r.outcome, r.reason, r.bank_reference))
                        for r in known.values())
        return outcomes, chunk

    async def _next_chunk(self, run_id: str) -> int:
        """A chunk number of its own, taken outside the chunk's transaction so competing
        payers do not wait on the run's row; a chunk rolled back leaves a gap."""
        async with self._pool.acquire() as conn:
            return await runs.next_chunk(conn, run_id)

    async def complete(self, run_id: str) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            run = await runs.get(conn, run_id, for_update=True)
            if run.status != "allocated" or await payments.any_pending(conn, run_id):
                return False
            totals = await runs.totals(conn, run_id)
            run.complete(totals, self._clock.now())
            await runs.save(conn, run)
            settled_chunks, failed_chunks = await runs.chunks_published(conn, run_id)
            await self._outbox.add(conn, events.PaymentRunCompleted(
                run_id=run.id, program_code=run.program_code, period=run.period,
                division_code=run.division_code, payee_count=run.payee_count,
                total_fen=run.total_fen, settled_count=totals.bank_settled_count,
                settled_fen=totals.bank_settled_fen, failed_count=totals.failed_count,
                failed_fen=totals.failed_fen, cancelled_count=totals.cancelled_count,
                cancelled_fen=totals.cancelled_fen, returned_count=totals.returned_count,
                returned_fen=totals.returned_fen, retry_of=run.retry_of,
                settled_chunks=settled_chunks, failed_chunks=failed_chunks),
                correlation_id=run.id)
        log.info("run %s completed: %d settled, %d failed, %d cancelled", run_id,
                 totals.settled_count, totals.failed_count, totals.cancelled_count)
        return True


class _Stopwatch:
    """Seconds spent in each step of a chunk, for the log."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self._laps[step], self._last = now - self._last, now

    def __str__(self) -> str:
        return " ".join(f"{step} {seconds:.2f}s" for step, seconds in self._laps.items())


def chunk_events(run: PaymentRun, chunk: int, claimed: list[Claimed],
                 outcomes: dict[str, Outcome]) -> list[Event]:
    """`PaymentsSettled` and `PaymentsFailed` for what the bank did with a chunk. The items
    are plain dicts validated together by the contract (a chunk holds thousands)."""
    common: dict[str, Any] = {"run_id": run.id, "program_code": run.program_code,
                              "period": run.period, "division_code": run.division_code,
                              "chunk": chunk}
    settled: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for c in claimed:
        outcome = outcomes[c["payment_id"]]
        arrear = c["period"] != run.period
        paid_period = c["period"] if arrear else None  # None: the run's own period
        if outcome.status == "settled":
            settled.append({
                "payment_id": c["payment_id"], "person_key": c["person_key"],
                "certification_id": c["certification_id"], "amount_fen": c["amount_fen"],
                "item": payment_label(c["period"], arrear), "period": paid_period,
                "bank_reference": outcome.bank_reference})
        elif outcome.status == "failed":
            failed.append({"payment_id": c["payment_id"], "person_key": c["person_key"],
                           "amount_fen": c["amount_fen"], "reason": outcome.reason,
                           "period": paid_period})
    found: list[Event] = []
    if settled:
        found.append(events.PaymentsSettled.model_validate({**common, "payments": settled}))
    if failed:
        found.append(events.PaymentsFailed.model_validate({**common, "payments": failed}))
    return found
