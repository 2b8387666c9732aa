"""A run's results: settled chunks move money once each, never beyond the reservation;
the completed run is settled and releases what it did not pay."""

from __future__ import annotations

import uuid

from siquan.contracts.disbursement_v1 import (
    FailedPayment,
    PaymentRunCompleted,
    PaymentsFailed,
    PaymentsSettled,
    SettledPayment,
)
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.messages import tap


def person() -> str:
    return uuid.uuid4().hex * 2


def settled(key: AccountKey, run_id: str, chunk: int, *amounts: int) -> PaymentsSettled:
    return PaymentsSettled(
        run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
        division_code=key.division_code, chunk=chunk,
        payments=tuple(SettledPayment(payment_id=str(uuid.uuid4()), person_key=person(),
                                      certification_id=str(uuid.uuid4()), item="benefit",
                                      amount_fen=a, bank_reference=f"B{i}")
                       for i, a in enumerate(amounts)))


def failed(key: AccountKey, run_id: str, chunk: int, *amounts: int) -> PaymentsFailed:
    return PaymentsFailed(
        run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
        division_code=key.division_code, chunk=chunk,
        payments=tuple(FailedPayment(payment_id=str(uuid.uuid4()), person_key=person(),
                                     amount_fen=a, reason="account closed") for a in amounts))


def completed(key: AccountKey, run_id: str, total_fen: int, settled_fen: int,
              failed_fen: int) -> PaymentRunCompleted:
    return PaymentRunCompleted(
        run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
        division_code=key.division_code, payee_count=10, total_fen=total_fen,
        settled_count=7, settled_fen=settled_fen, failed_count=3, failed_fen=failed_fen)


async def approved_run(fc, key: AccountKey, funded_fen: int, total_fen: int) -> str:
    await fc.funded(key, funded_fen)
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, total_fen)
        await fc.published(tapped, "allocation.approved.v1", run_id=request.run_id)
    return request.run_id


async def test_a_settled_chunk_moves_money_from_the_reservation_to_paid_out(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    await fc.wait_processed(await fc.publish(settled(key, run_id, 0, 21_000, 15_000)))
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"],
            account["paid_out_fen"]) == (40_000, 24_000, 36_000)
    assert (await fc.allocation(run_id))["paid_fen"] == 36_000


async def test_a_settled_chunk_delivered_twice_moves_money_once(fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    chunk = settled(key, run_id, 0, 21_000)
    message_id = await fc.publish(chunk)
    await fc.publish(chunk, message_id=message_id)
    # The queue is ordered: once a later message is taken, the redelivery was handled.
    await fc.wait_processed(await fc.publish(failed(key, run_id, 0, 9_000)))
    account = await fc.account(key)
    assert (account["reserved_fen"], account["paid_out_fen"]) == (39_000, 21_000)


async def test_a_chunk_reported_again_under_a_new_message_id_moves_money_once(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    chunk = settled(key, run_id, 3, 21_000, 21_000)
    await fc.wait_processed(await fc.publish(chunk))
    await fc.wait_processed(await fc.publish(chunk))
    account = await fc.account(key)
    assert (account["reserved_fen"], account["paid_out_fen"]) == (18_000, 42_000)


async def test_a_chunk_paying_more_than_reserved_is_dead_lettered_and_moves_nothing(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 30_000)
    await fc.wait_processed(await fc.publish(settled(key, run_id, 0, 20_000)))
    too_much = await fc.publish(settled(key, run_id, 1, 10_001))
    reason = await fc.dead_letter_reason(too_much)
    assert run_id in reason
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"],
            account["paid_out_fen"]) == (70_000, 10_000, 20_000)


async def test_failed_payments_are_counted_once_and_move_no_money(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    chunk = failed(key, run_id, 0, 21_000, 9_000)
    await fc.wait_processed(await fc.publish(chunk))
    await fc.wait_processed(await fc.publish(chunk))
    allocation = await fc.allocation(run_id)
    assert (allocation["failed_count"], allocation["failed_fen"]) == (2, 30_000)
    account = await fc.account(key)
    assert (account["reserved_fen"], account["paid_out_fen"]) == (60_000, 0)


async def test_a_completed_run_is_settled_and_releases_reserved_minus_paid(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    await fc.publish(settled(key, run_id, 0, 21_000, 15_000))
    await fc.publish(settled(key, run_id, 1, 8_000))
    await fc.publish(failed(key, run_id, 0, 16_000))
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.publish(completed(key, run_id, 60_000, settled_fen=44_000, failed_fen=16_000))
        settlement = await fc.published(tapped, "settlement.completed.v1", run_id=run_id)
    assert (settlement["reserved_fen"], settlement["paid_fen"],
            settlement["released_fen"]) == (60_000, 44_000, 16_000)
    assert settlement["available_fen"] == 56_000
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"],
            account["paid_out_fen"]) == (56_000, 0, 44_000)
    assert (await fc.allocation(run_id))["status"] == "settled"


async def test_a_completed_run_whose_chunks_do_not_add_up_is_dead_lettered(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    await fc.publish(settled(key, run_id, 0, 21_000))
    completion = await fc.publish(completed(key, run_id, 60_000, settled_fen=42_000,
                                            failed_fen=0))
    assert "42000" in await fc.dead_letter_reason(completion)
    assert (await fc.allocation(run_id))["status"] == "approved"
    assert (await fc.account(key))["reserved_fen"] == 39_000


async def test_a_completion_that_overtakes_its_last_chunk_waits_for_it(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    await fc.publish(settled(key, run_id, 0, 21_000))
    early = completed(key, run_id, 60_000, settled_fen=29_000, failed_fen=0)
    early = early.model_copy(update={"settled_chunks": 2, "failed_chunks": 0})
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.publish(early)
        await fc.publish(settled(key, run_id, 1, 8_000))
        settlement = await fc.published(tapped, "settlement.completed.v1", run_id=run_id)
    assert (settlement["paid_fen"], settlement["released_fen"]) == (29_000, 31_000)
    assert (await fc.allocation(run_id))["status"] == "settled"


async def test_money_released_by_a_settlement_funds_a_waiting_allocation(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 90_000)
    async with tap(fc.env, "fund_custody") as tapped:
        waiting = await fc.request_allocation(key, 50_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=waiting.run_id)
        await fc.publish(settled(key, run_id, 0, 45_000))
        await fc.publish(completed(key, run_id, 90_000, settled_fen=45_000, failed_fen=0))
        approved = await fc.published(tapped, "allocation.approved.v1", run_id=waiting.run_id)
    assert approved["available_fen"] == 5_000


async def test_a_never_funded_run_that_completes_without_paying_stops_waiting(
        fc, key: AccountKey) -> None:
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, 50_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=request.run_id)
        await fc.publish(completed(key, request.run_id, 50_000, settled_fen=0, failed_fen=0))
        settlement = await fc.published(tapped, "settlement.completed.v1",
                                        run_id=request.run_id)
    assert (settlement["reserved_fen"], settlement["paid_fen"],
            settlement["released_fen"]) == (0, 0, 0)
    assert (await fc.allocation(request.run_id))["status"] == "cancelled"
    response = await fc.appropriate(key, 80_000)
    assert response.json()["approved_runs"] == []
    assert (await fc.account(key))["reserved_fen"] == 0


async def test_payments_transferred_earlier_are_settled_and_released_not_paid_out(
        fc, key: AccountKey) -> None:
    run_id = await approved_run(fc, key, 100_000, 60_000)
    chunk = settled(key, run_id, 0, 21_000, 15_000, 8_000)
    # the first two answered by the bank with transfers made under a lost run's payment ids
    chunk = chunk.model_copy(update={"payments": tuple(
        p.model_copy(update={"transferred_as": str(uuid.uuid4())}) if i < 2 else p
        for i, p in enumerate(chunk.payments))})
    await fc.wait_processed(await fc.publish(chunk))
    await fc.wait_processed(await fc.publish(chunk))  # reported again: booked once
    held = await fc.account(key)
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.publish(completed(key, run_id, 60_000, settled_fen=44_000, failed_fen=16_000))
        settlement = await fc.published(tapped, "settlement.completed.v1", run_id=run_id)

    assert (held["reserved_fen"], held["paid_out_fen"]) == (52_000, 8_000)
    assert (settlement["paid_fen"], settlement["released_fen"]) == (8_000, 52_000)
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"],
            account["paid_out_fen"]) == (92_000, 0, 8_000)
    rows = await fc.env.fetch("fund_custody", "SELECT amount_fen, transferred_earlier_fen"
                              " FROM settled_chunks WHERE run_id = $1", run_id)
    assert [tuple(r) for r in rows] == [(8_000, 36_000)]
