"""Allocation requests from disbursement: approved and reserved when covered, refused with
the exact shortfall and kept waiting when not, approved later by an appropriation, and
never handled twice for the same run."""

from __future__ import annotations

import uuid

from siquan.contracts.disbursement_v1 import AllocationRequested
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.messages import tap


async def test_an_allocation_the_account_covers_is_approved_and_reserved(
        fc, key: AccountKey) -> None:
    await fc.funded(key, 1_000_000)
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, 630_000)
        approved = await fc.published(tapped, "allocation.approved.v1", run_id=request.run_id)
    assert approved["amount_fen"] == 630_000
    assert approved["available_fen"] == 370_000
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"]) == (370_000, 630_000)
    allocation = await fc.allocation(request.run_id)
    assert (allocation["status"], allocation["reserved_fen"]) == ("approved", 630_000)


async def test_an_allocation_over_the_balance_is_rejected_with_the_exact_shortfall(
        fc, key: AccountKey) -> None:
    await fc.funded(key, 400_000)
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, 630_000)
        rejected = await fc.published(tapped, "allocation.rejected.v1", run_id=request.run_id)
    assert rejected["requested_fen"] == 630_000
    assert rejected["available_fen"] == 400_000
    assert rejected["shortfall_fen"] == 230_000
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"]) == (400_000, 0)
    assert (await fc.allocation(request.run_id))["status"] == "waiting"


async def test_a_waiting_allocation_is_approved_by_the_appropriation_that_covers_it(
        fc, key: AccountKey) -> None:
    await fc.funded(key, 400_000)
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, 630_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=request.run_id)
        response = await fc.appropriate(key, 300_000, level="provincial")
        approved = await fc.published(tapped, "allocation.approved.v1", run_id=request.run_id)
    assert response.json()["approved_runs"] == [request.run_id]
    assert response.json()["available_fen"] == 70_000
    assert approved["available_fen"] == 70_000
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"]) == (70_000, 630_000)


async def test_waiting_allocations_are_approved_oldest_first_as_far_as_money_goes(
        fc, key: AccountKey) -> None:
    async with tap(fc.env, "fund_custody") as tapped:
        older = await fc.request_allocation(key, 300_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=older.run_id)
        newer = await fc.request_allocation(key, 300_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=newer.run_id)
        response = await fc.appropriate(key, 450_000)
    assert response.json()["approved_runs"] == [older.run_id]
    assert (await fc.allocation(newer.run_id))["status"] == "waiting"
    assert (await fc.account(key))["available_fen"] == 150_000


async def test_a_second_request_for_the_same_run_changes_nothing(
        fc, key: AccountKey) -> None:
    await fc.funded(key, 1_000_000)
    run_id = str(uuid.uuid4())
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.request_allocation(key, 600_000, run_id=run_id)
        await fc.published(tapped, "allocation.approved.v1", run_id=run_id)
        again = await fc.publish(AllocationRequested(
            run_id=run_id, program_code=key.program_code, fiscal_year=key.fiscal_year,
            period=f"{key.fiscal_year}-11", division_code=key.division_code, payee_count=28,
            total_fen=600_000))
        await fc.wait_processed(again)
        assert len(fc.bodies(tapped, "allocation.approved.v1", run_id=run_id)) == 1
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"]) == (400_000, 600_000)


async def test_a_request_for_a_program_outside_the_catalogue_is_dead_lettered(
        fc, key: AccountKey) -> None:
    message_id = await fc.publish(AllocationRequested(
        run_id=str(uuid.uuid4()), program_code="no_such_program", fiscal_year=key.fiscal_year,
        period=f"{key.fiscal_year}-11", division_code=key.division_code, payee_count=1,
        total_fen=1_000))
    assert "no_such_program" in await fc.dead_letter_reason(message_id)
    assert not await fc.fetchval("SELECT count(*) FROM special_accounts"
                                 " WHERE program_code = 'no_such_program'")
