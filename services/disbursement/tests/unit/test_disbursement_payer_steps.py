"""The payer's steps on the in-memory twins: a chunk paid through the bank, re-checked
right before it, recovered after a crash; a run completed once nothing is pending."""

from __future__ import annotations

from typing import Any

import pytest

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.oversight_v1 import HoldPlaced
from siquan.disbursement.adapters.batch_file_bank import ResultMismatch
from siquan.disbursement.application import facts, queries
from siquan.disbursement.application.payer import ChunkWaits, Payer, complete_run, pay_chunk
from siquan.disbursement.application.ports import BankUnavailable
from siquan.disbursement.domain.payable import ON_HOLD


async def allocated_run(world: Any, payees: int = 3, chunk_size: int = 5_000) -> Any:
    await world.payees(payees)
    run = (await world.start(chunk_size=chunk_size)).run
    await world.allocate(run)
    return run


async def pay(world: Any, run_id: str) -> bool:
    async with world.units(correlation_id=run_id) as uow:
        return await pay_chunk(uow, world.bank, run_id)


async def complete(world: Any, run_id: str) -> bool:
    async with world.units(correlation_id=run_id) as uow:
        return await complete_run(uow, run_id)


async def test_a_chunk_is_paid_through_the_bank_and_announced(world: Any) -> None:
    run = await allocated_run(world)
    assert await pay(world, run.id)
    [settled] = world.published(events.PaymentsSettled)
    assert set(world.statuses(run.id).values()) == {"settled"}
    assert sorted(p.payment_id for p in settled.payments) == sorted(world.bank.paid())
    assert (settled.chunk, sum(p.amount_fen for p in settled.payments)) == (0, 63_000)
    assert world.units.units[-1].cause.correlation_id == run.id


async def test_nothing_is_paid_before_the_allocation(world: Any) -> None:
    await world.payees(2)
    run = (await world.start()).run
    assert not await pay(world, run.id)
    assert world.bank.batches == []


async def test_a_payee_held_since_the_run_started_is_cancelled_not_paid(world: Any) -> None:
    run = await allocated_run(world)
    async with world.units() as uow:
        await facts.place_hold(HoldPlaced(hold_id="h-1", person_key=world.person(2),
                                          program_code=None, reason="complaint",
                                          placed_by="auditor"), uow)
    await pay(world, run.id)
    held = [p for p in world.store.run_payments(run.id) if p.person_key == world.person(2)]
    assert [(p.status, p.reason) for p in held] == [("cancelled", ON_HOLD)]
    assert held[0].payment_id not in world.bank.recorded


async def test_a_bank_that_does_not_answer_leaves_the_chunk_pending(world: Any) -> None:
    run = await allocated_run(world)
    world.bank.silent = True
    with pytest.raises(BankUnavailable):
        await pay(world, run.id)
    assert set(world.statuses(run.id).values()) == {"pending"}
    assert world.published(events.PaymentsSettled) == []


async def test_after_a_lost_answer_the_bank_results_are_taken_and_nobody_is_paid_twice(
        world: Any) -> None:
    run = await allocated_run(world)
    world.bank.silent = True
    with pytest.raises(BankUnavailable):
        await pay(world, run.id)
    assert await pay(world, run.id)
    assert len(world.bank.batches) == 1
    assert set(world.statuses(run.id).values()) == {"settled"}


async def test_a_chunk_the_bank_cannot_settle_now_is_set_aside_and_the_next_is_paid(
        world: Any) -> None:
    run = await allocated_run(world, payees=3, chunk_size=2)
    payer = Payer(world.units, world.bank, poll_seconds=1)
    world.bank.silent = True
    with pytest.raises(ChunkWaits) as waits:
        await payer.work_once()
    world.bank.silent = False

    assert (waits.value.run_id, waits.value.chunk) == (run.id, 0)
    assert payer.set_aside(run.id) == [0]
    assert await payer.work_once()
    [settled] = world.published(events.PaymentsSettled)
    assert settled.chunk == 1
    assert not await payer.work_once()  # the first chunk waits out its time aside
    assert not await complete(world, run.id)

    again = Payer(world.units, world.bank, poll_seconds=1, set_aside_seconds=0)
    assert await again.work_once()
    assert sorted(c.chunk for c in world.published(events.PaymentsSettled)) == [0, 1]
    assert set(world.statuses(run.id).values()) == {"settled"}


async def test_a_payment_the_bank_misstates_waits_in_a_chunk_of_its_own(world: Any) -> None:
    run = await allocated_run(world, payees=3)
    misstated = world.store.run_payments(run.id)[1]
    world.bank.misstated = {misstated.account_number}
    payer = Payer(world.units, world.bank, poll_seconds=1)

    assert await payer.work_once()  # the others are recorded and announced
    [settled] = world.published(events.PaymentsSettled)
    assert (settled.chunk, len(settled.payments)) == (0, 2)
    assert misstated.payment_id not in {p.payment_id for p in settled.payments}
    assert world.statuses(run.id)[misstated.person_key] == "pending"
    with pytest.raises(ChunkWaits) as waits:  # its own chunk waits for the correction
        await payer.work_once()
    assert (waits.value.chunk, payer.set_aside(run.id)) == (1, [1])
    assert not await complete(world, run.id)

    world.bank.misstated = set()  # the bank answers it as instructed
    assert await Payer(world.units, world.bank, poll_seconds=1,
                       set_aside_seconds=0).work_once()
    assert await complete(world, run.id)
    later = world.published(events.PaymentsSettled)[1]
    assert (later.chunk, [p.payment_id for p in later.payments]) == (
        1, [misstated.payment_id])
    assert set(world.statuses(run.id).values()) == {"settled"}
    assert len(world.bank.transfers) == 3  # each paid once, never instructed again
    [completed] = world.published(events.PaymentRunCompleted)
    assert (completed.settled_count, completed.settled_chunks) == (3, 2)


async def test_each_chunk_is_taken_once(world: Any) -> None:
    run = await allocated_run(world, payees=5, chunk_size=2)
    paid = [await pay(world, run.id) for _ in range(4)]
    assert paid == [True, True, True, False]
    assert [b for b, _ in world.bank.batches] == [
        b for b, _ in world.bank.batches if b.startswith(run.id)]
    assert sorted(c.chunk for c in world.published(events.PaymentsSettled)) == [0, 1, 2]


async def test_a_refused_payment_is_announced_as_failed(world: Any) -> None:
    world.bank.refused_accounts.add(world.account_of(3))
    run = await allocated_run(world)
    await pay(world, run.id)
    [failed] = world.published(events.PaymentsFailed)
    assert [(p.person_key, p.reason) for p in failed.payments] == [
        (world.person(3), "invalid account")]


async def test_a_run_completes_once_no_chunk_is_pending_and_only_once(world: Any) -> None:
    run = await allocated_run(world, payees=3, chunk_size=2)
    await pay(world, run.id)
    assert not await complete(world, run.id)
    await pay(world, run.id)
    assert await complete(world, run.id)
    assert not await complete(world, run.id)
    [completed] = world.published(events.PaymentRunCompleted)
    assert (completed.settled_count, completed.settled_fen, completed.settled_chunks) == (
        3, 63_000, 2)
    assert (await world.run(run.id)).status == "completed"


async def test_a_result_line_that_differs_from_its_instruction_is_published_not_recorded(
        world: Any) -> None:
    run = await allocated_run(world, payees=1)
    [payment] = world.store.run_payments(run.id)
    batch = f"{run.id}-0-abc123"
    mismatch = ResultMismatch(batch, payment.payment_id, "amount_differs", 21_000,
                              91_000, "622202000000010001", "622202000000010001",
                              "settled", "REF1")
    world.bank.take_mismatches = lambda: [mismatch, mismatch._replace(
        payment_id="not-ours", kind="not_in_batch")]

    assert await Payer(world.units, world.bank, poll_seconds=1).report_mismatches() == 2

    published = world.published(events.BankResultMismatch)
    assert [(p.run_id, p.kind, p.payment_id) for p in published] == [
        (run.id, "amount_differs", payment.payment_id), (run.id, "not_in_batch", "not-ours")]
    published = published[0]
    assert (published.expected_amount_fen, published.stated_amount_fen) == (21_000, 91_000)
    assert published.stated_account == "**************0001"
    assert set(world.statuses(run.id).values()) == {"pending"}
    async with world.units.reading() as uow:  # the run's officer sees what it waits for
        shown = await queries.show_run(uow, world.officer, run.id)
    assert shown["awaiting_bank_correction"] == {
        "count": 1, "amount_fen": payment.amount_fen, "batches": [batch]}
