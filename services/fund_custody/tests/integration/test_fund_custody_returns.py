"""Payments the bank returned days after settling them: the money comes back into the
special account as available, once per chunk and once per payment, never more than the run
paid, and each run keeps reserved = net paid + returned + released."""

from __future__ import annotations

import uuid

from siquan.contracts.disbursement_v1 import PaymentsSettled
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.messages import tap


def payment_ids(event: PaymentsSettled) -> list[str]:
    return [p.payment_id for p in event.payments]


async def test_a_return_after_settlement_brings_the_money_back_as_available(
        fc, key: AccountKey) -> None:
    run_id = await fc.approved_run(key, 100_000, 60_000)
    chunk = await fc.settle(key, run_id, 0, 21_000, 15_000, 15_000)
    await fc.complete(key, run_id, 60_000, settled_fen=51_000)
    first = payment_ids(chunk)[0]
    await fc.wait_processed(await fc.publish(fc.returned(key, run_id, 0, (first, 21_000))))
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"], account["paid_out_fen"],
            account["returned_fen"], account["net_paid_out_fen"]) == (70_000, 0, 51_000,
                                                                      21_000, 30_000)
    allocation = await fc.allocation(run_id)
    assert (allocation["paid_fen"], allocation["returned_fen"], allocation["net_paid_fen"],
            allocation["released_fen"]) == (51_000, 21_000, 30_000, 9_000)
    assert allocation["total_fen"] == (allocation["net_paid_fen"] + allocation["returned_fen"]
                                       + allocation["released_fen"])


async def test_a_return_before_the_run_completes_keeps_the_run_adding_up_at_settlement(
        fc, key: AccountKey) -> None:
    run_id = await fc.approved_run(key, 100_000, 60_000)
    chunk = await fc.settle(key, run_id, 0, 21_000, 15_000)
    await fc.wait_processed(await fc.publish(
        fc.returned(key, run_id, 0, (payment_ids(chunk)[1], 15_000))))
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.complete(key, run_id, 60_000, settled_fen=36_000)
        settlement = await fc.published(tapped, "settlement.completed.v1", run_id=run_id)
    assert (settlement["reserved_fen"], settlement["paid_fen"], settlement["returned_fen"],
            settlement["released_fen"]) == (60_000, 36_000, 15_000, 24_000)
    assert settlement["reserved_fen"] == ((settlement["paid_fen"] - settlement["returned_fen"])
                                         + settlement["returned_fen"]
                                         + settlement["released_fen"])
    assert settlement["available_fen"] == 40_000 + 15_000 + 24_000


async def test_a_returned_chunk_reported_twice_brings_the_money_back_once(
        fc, key: AccountKey) -> None:
    run_id = await fc.approved_run(key, 100_000, 60_000)
    chunk = await fc.settle(key, run_id, 0, 21_000, 15_000)
    returned = fc.returned(key, run_id, 4, (payment_ids(chunk)[0], 21_000))
    message_id = await fc.publish(returned)
    await fc.publish(returned, message_id=message_id)
    await fc.wait_processed(await fc.publish(returned))
    account = await fc.account(key)
    assert (account["available_fen"], account["returned_fen"]) == (61_000, 21_000)
    assert (await fc.allocation(run_id))["returned_count"] == 1


async def test_a_return_of_more_than_the_run_paid_is_dead_lettered_and_moves_nothing(
        fc, key: AccountKey) -> None:
    run_id = await fc.approved_run(key, 100_000, 60_000)
    await fc.settle(key, run_id, 0, 21_000)
    too_much = await fc.publish(fc.returned(key, run_id, 0, (str(uuid.uuid4()), 21_001)))
    assert "21001" in await fc.dead_letter_reason(too_much)
    account = await fc.account(key)
    assert (account["available_fen"], account["returned_fen"]) == (40_000, 0)
    assert (await fc.allocation(run_id))["returned_fen"] == 0


async def test_the_same_payment_returned_in_another_chunk_is_dead_lettered(
        fc, key: AccountKey) -> None:
    run_id = await fc.approved_run(key, 100_000, 60_000)
    chunk = await fc.settle(key, run_id, 0, 21_000, 21_000)
    first = payment_ids(chunk)[0]
    await fc.wait_processed(await fc.publish(fc.returned(key, run_id, 0, (first, 21_000))))
    again = await fc.publish(fc.returned(key, run_id, 1, (first, 21_000)))
    assert first in await fc.dead_letter_reason(again)
    assert (await fc.account(key))["returned_fen"] == 21_000


async def test_a_return_for_a_run_that_never_paid_is_dead_lettered(
        fc, key: AccountKey) -> None:
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, 50_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=request.run_id)
    refused = await fc.publish(fc.returned(key, request.run_id, 0, (str(uuid.uuid4()), 100)))
    assert "waiting" in await fc.dead_letter_reason(refused)


async def test_returned_money_funds_an_allocation_waiting_for_it(
        fc, key: AccountKey) -> None:
    run_id = await fc.approved_run(key, 100_000, 100_000)
    chunk = await fc.settle(key, run_id, 0, 60_000, 40_000)
    await fc.complete(key, run_id, 100_000, settled_fen=100_000)
    async with tap(fc.env, "fund_custody") as tapped:
        waiting = await fc.request_allocation(key, 50_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=waiting.run_id)
        await fc.publish(fc.returned(key, run_id, 0, (payment_ids(chunk)[0], 60_000)))
        approved = await fc.published(tapped, "allocation.approved.v1", run_id=waiting.run_id)
    assert approved["available_fen"] == 10_000
