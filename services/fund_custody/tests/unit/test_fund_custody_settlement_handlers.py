"""The run result handlers: a settled chunk moves its sum from the run's reservation to
paid_out once, never beyond the reservation; failed chunks are counted; a completed run is
settled, releases what it did not pay and waits (NotYet) for a chunk it counts but has not
seen. A payment the bank answered with a transfer it had made earlier (a run lost in a
restore of disbursement and started again) is settled but not paid out again. A message
that breaks a rule changes nothing."""

from __future__ import annotations

import uuid

import pytest

from siquan.contracts.base import read_data
from siquan.contracts.disbursement_v1 import PaymentsSettled
from siquan.contracts.fund_custody_v1 import AllocationApproved, SettlementCompleted
from siquan.fund_custody.application.ports import Chunk, SettledAmount, SettledChunk
from siquan.fund_custody.application.settlement import (
    count_failed_chunk,
    pay_settled_chunk,
    settle_run,
)
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.consumer import NotYet, RuleBroken


async def test_a_settled_chunk_moves_its_sum_from_the_reservation_to_paid_out(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await uow.run(pay_settled_chunk(given.settled(run_id, 0, 21_000, 15_000), uow))
    assert await given.balances() == (40_000, 24_000, 36_000)
    assert uow.store.allocations[run_id].paid_fen == 36_000


async def test_a_chunk_of_five_thousand_payments_is_one_posting(uow, given) -> None:
    run_id = await given.approved_run(200_000_000, 105_000_000)
    postings = len(uow.store.postings)
    await uow.run(pay_settled_chunk(given.settled(run_id, 0, *[21_000] * 5_000), uow))
    assert len(uow.store.postings) == postings + 1
    assert uow.store.settled[(run_id, 0)].payment_count == 5_000


async def test_a_chunk_reported_again_moves_money_once(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = await given.paid(run_id, 3, 21_000, 21_000)
    await uow.run(pay_settled_chunk(chunk, uow))
    assert await given.balances() == (40_000, 18_000, 42_000)


async def test_a_chunk_reported_again_with_other_figures_breaks_a_rule(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await given.paid(run_id, 0, 21_000)
    before = uow.snapshot()
    with pytest.raises(RuleBroken, match="now reported as"):
        await uow.run(pay_settled_chunk(given.settled(run_id, 0, 15_000), uow))
    assert uow.store == before


async def test_a_chunk_paying_beyond_the_reservation_breaks_a_rule_and_moves_nothing(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 30_000)
    await given.paid(run_id, 0, 20_000)
    before = uow.snapshot()
    with pytest.raises(RuleBroken, match=run_id):
        await uow.run(pay_settled_chunk(given.settled(run_id, 1, 10_001), uow))
    assert uow.store == before
    assert await given.balances() == (70_000, 10_000, 20_000)


async def test_a_chunk_of_a_run_without_allocation_breaks_a_rule(uow, given) -> None:
    with pytest.raises(RuleBroken, match="has no allocation"):
        await uow.run(pay_settled_chunk(given.settled("unknown-run", 0, 21_000), uow))
    assert uow.store.settled == {}


async def test_a_chunk_naming_another_division_than_its_run_breaks_a_rule(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    elsewhere = AccountKey("special_assistance", 2026, "420102")
    with pytest.raises(RuleBroken, match="belongs to"):
        await uow.run(pay_settled_chunk(given.settled(run_id, 0, 21_000, key=elsewhere), uow))
    assert uow.store.settled == {}


async def test_a_failed_chunk_is_counted_once_and_moves_no_money(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = given.failed(run_id, 0, 21_000, 9_000)
    await uow.run(count_failed_chunk(chunk, uow))
    await uow.run(count_failed_chunk(chunk, uow))
    totals = await uow.settlements.totals(run_id)
    assert (totals.failed_chunks, totals.failed_count, totals.failed_fen) == (1, 2, 30_000)
    assert await given.balances() == (40_000, 60_000, 0)


async def test_a_completed_run_is_settled_and_releases_what_it_did_not_pay(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await given.paid(run_id, 0, 21_000, 15_000)
    await given.paid(run_id, 1, 8_000)
    await uow.run(settle_run(given.completed(run_id, 60_000, 44_000), uow))
    [settlement] = uow.published(SettlementCompleted)
    assert (settlement.reserved_fen, settlement.paid_fen, settlement.released_fen,
            settlement.available_fen) == (60_000, 44_000, 16_000, 56_000)
    assert await given.balances() == (56_000, 0, 44_000)
    assert uow.store.allocations[run_id].status == "settled"


async def test_a_completion_before_a_chunk_it_counts_waits_and_changes_nothing(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await given.paid(run_id, 0, 21_000)
    before = uow.snapshot()
    early = given.completed(run_id, 60_000, 29_000, settled_chunks=2, failed_chunks=0)
    with pytest.raises(NotYet):
        await uow.run(settle_run(early, uow))
    assert uow.store == before
    await given.paid(run_id, 1, 8_000)
    await uow.run(settle_run(early, uow))
    assert uow.store.allocations[run_id].released_fen == 31_000


async def test_a_completion_whose_chunks_do_not_add_up_breaks_a_rule(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await given.paid(run_id, 0, 21_000)
    before = uow.snapshot()
    with pytest.raises(RuleBroken, match="42000"):
        await uow.run(settle_run(given.completed(run_id, 60_000, 42_000), uow))
    assert uow.store == before


async def test_a_completion_handled_again_publishes_nothing_more(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await given.settled_run(run_id, 60_000, 0)
    before = uow.snapshot()
    await uow.run(settle_run(given.completed(run_id, 60_000, 0), uow))
    assert uow.published() == []
    assert uow.store == before


async def test_money_released_by_a_settlement_funds_a_waiting_allocation(uow, given) -> None:
    run_id = await given.approved_run(100_000, 90_000)
    waiting = await given.requested(50_000)
    await given.paid(run_id, 0, 45_000)
    await uow.run(settle_run(given.completed(run_id, 90_000, 45_000), uow))
    [approved] = uow.published(AllocationApproved)
    assert (approved.run_id, approved.available_fen) == (waiting, 5_000)


async def test_a_never_funded_run_that_completes_without_paying_is_cancelled(
        uow, given) -> None:
    run_id = await given.requested(50_000)
    await uow.run(settle_run(given.completed(run_id, 50_000, 0), uow))
    [settlement] = uow.published(SettlementCompleted)
    assert (settlement.reserved_fen, settlement.paid_fen, settlement.released_fen) == (0, 0, 0)
    assert uow.store.allocations[run_id].status == "cancelled"


def transferred_earlier(event: PaymentsSettled, *which: int) -> PaymentsSettled:
    """The chunk with the payments at `which` answered by the bank with a transfer it had
    made earlier under another payment id (a run lost in a restore, started again)."""
    return event.model_copy(update={"payments": tuple(
        p.model_copy(update={"transferred_as": str(uuid.uuid4())}) if i in which else p
        for i, p in enumerate(event.payments))})


async def test_a_payment_transferred_earlier_is_settled_but_not_paid_out_again(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = transferred_earlier(given.settled(run_id, 0, 21_000, 15_000), 0)
    await uow.run(pay_settled_chunk(chunk, uow))
    assert await given.balances() == (40_000, 45_000, 15_000)
    assert uow.store.allocations[run_id].paid_fen == 15_000
    assert uow.store.settled[(run_id, 0)] == Chunk(2, 15_000, 21_000)
    assert uow.store.run_periods == [(run_id, "2026-11", 15_000)]



async def test_a_chunk_read_as_fund_custody_reads_it_is_booked_as_the_whole(
        uow, given) -> None:
    """The queue hands the handler a `SettledChunk` (of each payment, its amount, period
    and earlier transfer only): booked as the whole chunk is."""
    run_id = await given.approved_run(100_000, 60_000)
    whole = transferred_earlier(given.settled(run_id, 0, 21_000, 15_000), 0)
    chunk = read_data(SettledChunk, whole.model_dump(mode="json"))
    assert isinstance(chunk.payments[0], SettledAmount)
    await uow.run(pay_settled_chunk(chunk, uow))
    assert await given.balances() == (40_000, 45_000, 15_000)
    assert uow.store.settled[(run_id, 0)] == Chunk(2, 15_000, 21_000)
    assert uow.store.run_periods == [(run_id, "2026-11", 15_000)]

async def test_a_chunk_all_transferred_earlier_moves_no_money(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    postings = len(uow.store.postings)
    await uow.run(pay_settled_chunk(
        transferred_earlier(given.settled(run_id, 0, 21_000, 15_000), 0, 1), uow))
    assert len(uow.store.postings) == postings
    assert await given.balances() == (40_000, 60_000, 0)
    assert uow.store.settled[(run_id, 0)] == Chunk(2, 0, 36_000)


async def test_a_chunk_transferred_earlier_reported_again_is_booked_once(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = transferred_earlier(given.settled(run_id, 0, 21_000, 15_000), 1)
    await uow.run(pay_settled_chunk(chunk, uow))
    await uow.run(pay_settled_chunk(chunk, uow))
    assert await given.balances() == (40_000, 39_000, 21_000)
    before = uow.snapshot()
    with pytest.raises(RuleBroken, match="now reported as"):  # the same sums, told apart
        await uow.run(pay_settled_chunk(transferred_earlier(chunk, 0, 1), uow))
    assert uow.store == before


async def test_a_run_settled_by_earlier_transfers_releases_their_reservation(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await uow.run(pay_settled_chunk(
        transferred_earlier(given.settled(run_id, 0, 21_000, 15_000), 0, 1), uow))
    await given.paid(run_id, 1, 8_000)
    # disbursement reports everything the bank settled for the run, earlier transfers too
    await uow.run(settle_run(given.completed(run_id, 60_000, 44_000), uow))
    [settlement] = uow.published(SettlementCompleted)
    assert (settlement.reserved_fen, settlement.paid_fen, settlement.released_fen,
            settlement.available_fen) == (60_000, 8_000, 52_000, 92_000)
    assert await given.balances() == (92_000, 0, 8_000)
    assert uow.store.allocations[run_id].status == "settled"


async def test_a_completion_counting_earlier_transfers_as_paid_out_breaks_a_rule(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await uow.run(pay_settled_chunk(
        transferred_earlier(given.settled(run_id, 0, 21_000, 15_000), 0), uow))
    before = uow.snapshot()
    with pytest.raises(RuleBroken, match="21000 fen by earlier transfers"):
        await uow.run(settle_run(given.completed(run_id, 60_000, 15_000), uow))
    assert uow.store == before
