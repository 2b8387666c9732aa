"""The payer: works allocated runs through the bank a chunk at a time, and completes them.

`pay_chunk`, in one unit of work that holds the chunk (claimed with SKIP LOCKED, so
competing payers of any instance never share one):
1. ask the bank what it already recorded for these payment ids (a previous attempt may
   have reached it before a crash): those results are taken as they are;
   (a run an auditor holds is not taken: its unpaid payments wait for the lift);
2. cancel the others that `payable.PAYABLE` refuses now (the claim read each payment's
   obstacle in the database: certification still in force, no hold or suspension,
   nothing else paying the same key, the run allocated);
3. instruct the bank with the rest, as one batch;
4. record every result and publish `PaymentsSettled` / `PaymentsFailed` for the chunk.
A payment the bank answered otherwise than instructed (`PaymentsDisputed`) is in dispute
until the bank answers it again as instructed: the chunk's other payments are recorded and
published as they are, and the disputed ones move into a chunk of their own, which waits
(a chunk of nothing but disputed payments is set aside like one the bank has not
answered), so that a bank's misstated line holds up only the payments it misstates.
A payment the bank answers with a transfer it made earlier under another payment id (the
same instruction key: a run lost in a restore and started again) is settled and names
that payment id (`transferred_as`), so fund custody does not pay it out a second time.
A crash anywhere rolls the chunk back to pending; the bank's idempotency by payment id and
step 1 make the retry pay nobody twice. A bank that does not answer (`BankUnavailable`)
rolls the chunk back too, and the payer tries again after `poll_seconds`; the chunk it
was paying is set aside for `set_aside_seconds` meanwhile, so the run's other chunks are
paid while one waits on the bank (a batch it took and has not answered, a payment it
answered otherwise than instructed until it corrects its results). When no chunk is left
the run completes (`complete_run`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any

from opentelemetry import propagate, trace

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.base import Event
from siquan.disbursement.application.ports import (
    Bank,
    BankResult,
    BankUnavailable,
    PaymentInstruction,
    PaymentsDisputed,
)
from siquan.disbursement.application.repositories import PAYER_CHANNEL, Units, Work
from siquan.disbursement.domain.chunk import Chunk, Outcome
from siquan.disbursement.domain.errors import NotFound
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import mask_account
from siquan.shared import crash_points

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("siquan.disbursement.payer")
Step = Callable[[Work, str], Awaitable[bool]]


class ChunkWaits(BankUnavailable):
    """The bank could not settle a chunk now: the chunk is named so it can be set aside."""

    def __init__(self, run_id: str, chunk: int, reason: BankUnavailable) -> None:
        super().__init__(f"run {run_id} chunk {chunk}: {reason}")
        self.run_id, self.chunk = run_id, chunk


class Payer:
    """One supervised payer loop; an instance runs several, any number of instances
    compete."""

    def __init__(self, units: Units, bank: Bank, *, poll_seconds: float,
                 set_aside_seconds: float | None = None) -> None:
        self._units, self._bank, self._poll_seconds = units, bank, poll_seconds
        self._aside_seconds = 10 * poll_seconds if set_aside_seconds is None \
            else set_aside_seconds
        self._aside: dict[tuple[str, int], float] = {}
        """Chunks left alone until a time of this process's monotonic clock (a test may
        move the service's clock; how long to leave a chunk is not a date)."""
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Pay until cancelled; wakes on NOTIFY from an approved allocation or every poll."""
        await self._bank.open()
        try:
            async with self._units.listening(PAYER_CHANNEL, self._on_notify):
                while True:
                    self._wake.clear()
                    if not await self._work_or_wait():
                        await self._idle()
        finally:
            await self._bank.close()

    async def _work_or_wait(self) -> bool:
        try:
            return await self.work_once()
        except BankUnavailable as exc:
            log.warning("bank unavailable, chunk rolled back: %s", exc)
            return False
        finally:
            await self.report_mismatches()

    async def report_mismatches(self) -> int:
        """Publish each result line the bank gateway did not apply because it differs from
        its instruction (`bank_result.mismatch.v1`), and keep the dispute of a payment of
        the batch for the run's officers; how many."""
        take = getattr(self._bank, "take_mismatches", None)
        found = list(take()) if take is not None else []
        for mismatch in found:
            run_id = mismatch.batch[:36]
            async with self._units(correlation_id=run_id) as uow:
                try:
                    run = await uow.runs.get(run_id)
                except NotFound:
                    log.error("a mismatched result names batch %s of no run", mismatch.batch)
                    continue
                uow.publish(mismatch_event(run, mismatch, uow.clock.now()))
                if mismatch.disputes_a_payment:
                    await uow.payments.note_dispute(run.id, mismatch.payment_id,
                                                    mismatch.batch, mismatch.kind,
                                                    uow.clock.now())
        return len(found)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
        except TimeoutError:
            pass

    async def work_once(self) -> bool:
        """Pay one chunk or complete one run; False when there was nothing to do.
        `ChunkWaits` when the bank cannot settle the chunk now: it is set aside."""
        async with self._units.reading() as uow:
            run_ids = await uow.runs.allocated()
        for run_id in run_ids:
            try:
                paid = await self._in_run(run_id, "payment chunk", self._pay)
            except ChunkWaits as exc:
                self._aside[(exc.run_id, exc.chunk)] = time.monotonic() + self._aside_seconds
                raise
            if paid or await self._in_run(run_id, "payment run completion", complete_run):
                return True
        return False

    async def _pay(self, uow: Work, run_id: str) -> bool:
        return await pay_chunk(uow, self._bank, run_id, self.set_aside(run_id))

    def set_aside(self, run_id: str) -> list[int]:
        """The run's chunks this payer leaves alone for now."""
        now = time.monotonic()
        self._aside = {key: until for key, until in self._aside.items() if until > now}
        return sorted(chunk for run, chunk in self._aside if run == run_id)

    async def _in_run(self, run_id: str, name: str, step: Step) -> bool:
        """One step of a run in a unit of its own, inside the trace of the allocation that
        released the run."""
        async with self._units(correlation_id=run_id) as uow:
            parent = propagate.extract(await uow.runs.trace_context(run_id))
            with _tracer.start_as_current_span(name, context=parent,
                                               attributes={"siquan.run_id": run_id}):
                return await step(uow, run_id)


def mismatch_event(run: PaymentRun, mismatch: Any, at: datetime
                   ) -> events.BankResultMismatch:
    return events.BankResultMismatch(
        batch=mismatch.batch, run_id=run.id, program_code=run.program_code,
        period=run.period, division_code=run.division_code, kind=mismatch.kind,
        payment_id=mismatch.payment_id, expected_amount_fen=mismatch.expected_amount_fen,
        stated_amount_fen=mismatch.stated_amount_fen,
        expected_account=(mask_account(mismatch.expected_account)
                          if mismatch.expected_account else None),
        stated_account=mask_account(mismatch.stated_account), outcome=mismatch.outcome,
        bank_reference=mismatch.bank_reference, found_at=at)


async def pay_chunk(uow: Work, bank: Bank, run_id: str, aside: Collection[int] = ()
                    ) -> bool:
    """Pay the run's next free chunk but those `aside`; False when none is left to take.
    `ChunkWaits` when the bank cannot settle it now."""
    run = await uow.runs.get(run_id)
    if run.status != "allocated" or await uow.holds.on_run(run_id):
        return False  # a held run keeps its unpaid payments until the hold is lifted
    chunk = await uow.payments.claim_chunk(run_id, aside)
    if chunk is None:
        return False
    try:
        outcomes, disputed = await _outcomes(bank, chunk)
    except BankUnavailable as exc:
        raise ChunkWaits(run_id, chunk.number, exc) from exc
    if disputed and not outcomes:  # nothing in it but what the bank owes a correction for
        raise ChunkWaits(run_id, chunk.number, BankUnavailable(
            f"{len(disputed)} payments in dispute with the bank"))
    crash_points.reached("payer.after_bank")
    await uow.payments.record(chunk, outcomes, uow.now(), disputed=disputed)
    for event in chunk_events(run, chunk, outcomes):
        uow.publish(event)
    crash_points.reached("payer.after_record")
    log.info("run %s: chunk %d, %d payments finished%s", run_id, chunk.number, len(outcomes),
             f", {len(disputed)} in dispute with the bank moved to a chunk of their own"
             if disputed else "")
    return True


async def _outcomes(bank: Bank, chunk: Chunk) -> tuple[dict[str, Outcome], frozenset[str]]:
    """Every payment's outcome: what the bank recorded before, a cancellation, or what the
    bank answers now; and the payments the bank answered otherwise than instructed (in
    dispute: no outcome until it answers them as instructed)."""
    disputed: frozenset[str] = frozenset()
    try:
        found = await bank.results(chunk.payment_ids)
    except PaymentsDisputed as exc:
        found, disputed = exc.answered, exc.held
    known = {r.payment_id: r for r in found}
    outcomes: dict[str, Outcome] = {}
    to_send: list[PaymentInstruction] = []
    for payment in chunk.payments:
        if payment.payment_id in known or payment.payment_id in disputed:
            continue
        if payment.obstacle is not None:
            outcomes[payment.payment_id] = Outcome("cancelled", payment.obstacle)
        else:
            to_send.append(PaymentInstruction(
                payment.payment_id, payment.bank_code, payment.account_number,
                payment.amount_fen, payment.remittance(), payment.account_name,
                payment.instruction_key))
    if to_send:
        answered: list[BankResult]
        try:
            answered = await bank.instruct(chunk.batch(secrets.token_hex(3)), to_send)
        except PaymentsDisputed as exc:
            answered, disputed = exc.answered, disputed | exc.held
        known.update((r.payment_id, r) for r in answered)
    missing = sum(1 for i in to_send if i.payment_id not in known and
                  i.payment_id not in disputed)
    if missing:
        raise RuntimeError(f"the bank returned no result for {missing} payments")
    outcomes.update((r.payment_id, Outcome(r.outcome, r.reason, r.bank_reference,
                                           r.transferred_as if r.outcome == "settled"
                                           else None))
                    for r in known.values() if r.payment_id not in disputed)
    return outcomes, disputed


async def complete_run(uow: Work, run_id: str) -> bool:
    """Complete the run once no chunk is pending; False when it is not the time."""
    run = await uow.runs.get(run_id, for_update=True)
    if run.status != "allocated" or await uow.payments.any_pending(run_id):
        return False
    totals, settled_chunks, failed_chunks = await uow.payments.totals_with_chunks(run_id)
    run.complete(totals, uow.clock.now())
    await uow.runs.save(run)
    uow.publish(events.PaymentRunCompleted(
        run_id=run.id, program_code=run.program_code, period=run.period,
        division_code=run.division_code, payee_count=run.payee_count,
        total_fen=run.total_fen, settled_count=totals.bank_settled_count,
        settled_fen=totals.bank_settled_fen, failed_count=totals.failed_count,
        failed_fen=totals.failed_fen, cancelled_count=totals.cancelled_count,
        cancelled_fen=totals.cancelled_fen, returned_count=totals.returned_count,
        returned_fen=totals.returned_fen, retry_of=run.retry_of,
        settled_chunks=settled_chunks, failed_chunks=failed_chunks))
    log.info("run %s completed: %d settled, %d failed, %d cancelled", run_id,
             totals.settled_count, totals.failed_count, totals.cancelled_count)
    return True


def chunk_events(run: PaymentRun, chunk: Chunk, outcomes: dict[str, Outcome]
                 ) -> list[Event]:
    """`PaymentsSettled` and `PaymentsFailed` for what the bank did with a chunk. The items
    are plain dicts validated together by the contract (a chunk holds thousands)."""
    common: dict[str, Any] = {"run_id": run.id, "program_code": run.program_code,
                              "period": run.period, "division_code": run.division_code,
                              "chunk": chunk.number}
    settled: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for p in chunk.payments:
        outcome = outcomes.get(p.payment_id)
        if outcome is None:  # in dispute with the bank: its chunk of its own tells of it
            continue
        paid_period = p.period if p.period != run.period else None  # None: the run's own
        if outcome.status == "settled":
            settled.append({
                "payment_id": p.payment_id, "person_key": p.person_key,
                "certification_id": p.certification_id, "amount_fen": p.amount_fen,
                "item": p.label(run.period), "period": paid_period,
                "bank_reference": outcome.bank_reference})
            if outcome.transferred_as is not None:  # the field only where it says something
                settled[-1]["transferred_as"] = outcome.transferred_as
        elif outcome.status == "failed":
            failed.append({"payment_id": p.payment_id, "person_key": p.person_key,
                           "amount_fen": p.amount_fen, "reason": outcome.reason,
                           "period": paid_period})
    found: list[Event] = []
    if settled:
        found.append(events.PaymentsSettled.model_validate({**common, "payments": settled}))
    if failed:
        found.append(events.PaymentsFailed.model_validate({**common, "payments": failed}))
    return found
