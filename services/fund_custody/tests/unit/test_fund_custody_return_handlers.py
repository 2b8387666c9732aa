"""The returned payments handler: money the bank sent back after settling it comes in again
as available, once per chunk and once per payment, never more than the run paid; a return
for a closed year is booked into the first open later year."""

from __future__ import annotations

import uuid

import pytest

from siquan.contracts.fund_custody_v1 import AllocationApproved
from siquan.fund_custody.application.returns import take_back_returned_chunk
from siquan.fund_custody.application.statements import produce_statement
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.consumer import RuleBroken

from .conftest import KEY, officer


def ids(event) -> list[str]:
    return [p.payment_id for p in event.payments]


async def test_a_returned_chunk_brings_the_money_back_as_available(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = await given.paid(run_id, 0, 21_000, 15_000)
    await uow.run(take_back_returned_chunk(given.returned(run_id, 0, (ids(chunk)[0], 21_000)),
                                           uow))
    account = await uow.accounts.find(KEY)
    assert (account.books.available_fen, account.books.returned_fen,
            account.books.paid_out_fen) == (61_000, 21_000, 36_000)
    assert uow.store.allocations[run_id].returned_fen == 21_000


async def test_a_returned_chunk_reported_twice_brings_the_money_back_once(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = await given.paid(run_id, 0, 21_000)
    returned = given.returned(run_id, 4, (ids(chunk)[0], 21_000))
    await given.done(take_back_returned_chunk(returned, uow))
    before = uow.snapshot()
    await uow.run(take_back_returned_chunk(returned, uow))
    assert uow.store == before


async def test_a_return_of_more_than_the_run_paid_breaks_a_rule_and_moves_nothing(
        uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await given.paid(run_id, 0, 21_000)
    before = uow.snapshot()
    with pytest.raises(RuleBroken, match="21001"):
        await uow.run(take_back_returned_chunk(
            given.returned(run_id, 0, (str(uuid.uuid4()), 21_001)), uow))
    assert uow.store == before


async def test_a_payment_returned_in_a_second_chunk_breaks_a_rule(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = await given.paid(run_id, 0, 21_000, 21_000)
    first = ids(chunk)[0]
    await given.done(take_back_returned_chunk(given.returned(run_id, 0, (first, 21_000)), uow))
    with pytest.raises(RuleBroken, match=first):
        await uow.run(take_back_returned_chunk(given.returned(run_id, 1, (first, 21_000)),
                                               uow))
    assert (await uow.settlements.totals(run_id)).returned_chunks == 1


async def test_a_chunk_listing_one_payment_twice_breaks_a_rule(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    chunk = await given.paid(run_id, 0, 21_000, 21_000)
    twice = given.returned(run_id, 0, (ids(chunk)[0], 10_000), (ids(chunk)[0], 11_000))
    with pytest.raises(RuleBroken, match="twice"):
        await uow.run(take_back_returned_chunk(twice, uow))


async def test_a_return_for_a_run_that_never_paid_breaks_a_rule(uow, given) -> None:
    run_id = await given.requested(50_000)
    with pytest.raises(RuleBroken, match="waiting"):
        await uow.run(take_back_returned_chunk(given.returned(run_id, 0, ("p-1", 100)), uow))


async def test_a_return_after_its_year_closed_is_booked_into_the_next_open_year(
        uow, given) -> None:
    year = AccountKey(KEY.program_code, 2025, KEY.division_code)
    run_id = await given.approved_run(80_000, 50_000, year)
    chunk = await given.paid(run_id, 0, 21_000, 21_000, key=year)
    await given.settled_run(run_id, 50_000, 42_000, key=year)
    await given.done(produce_statement(uow, officer(), year))
    returned = given.returned(run_id, 0, (ids(chunk)[0], 21_000), key=year)
    await uow.run(take_back_returned_chunk(returned, uow))
    closed, following = await uow.accounts.find(year), await uow.accounts.find(
        AccountKey(KEY.program_code, 2026, KEY.division_code))
    assert (closed.books.returned_fen, following.books.returned_fen) == (0, 21_000)
    assert following.books.available_fen == 38_000 + 21_000


async def test_returned_money_funds_an_allocation_waiting_for_it(uow, given) -> None:
    run_id = await given.approved_run(100_000, 100_000)
    chunk = await given.paid(run_id, 0, 60_000, 40_000)
    await given.settled_run(run_id, 100_000, 100_000)
    waiting = await given.requested(50_000)
    await uow.run(take_back_returned_chunk(given.returned(run_id, 0, (ids(chunk)[0], 60_000)),
                                           uow))
    [approved] = uow.published(AllocationApproved)
    assert (approved.run_id, approved.available_fen) == (waiting, 10_000)
