"""The year-end settlement (专项结算): a statement that balances to the fen against the
ledger and the runs (opening + appropriations − payments + returns = closing), the closing
balance carried forward as the next year's opening, and a closed year that takes no more
money. Each test settles its own program and years."""

from __future__ import annotations

import uuid
from typing import Any

from siquan.contracts.disbursement_v1 import AllocationRequested, PaymentsSettled
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.messages import tap

DIVISION = "420117"


def path(key: AccountKey) -> str:
    return f"/statements/{key.program_code}/{key.fiscal_year}/{key.division_code}"


def next_year(key: AccountKey) -> AccountKey:
    return AccountKey(key.program_code, key.fiscal_year + 1, key.division_code)


async def settled_run(fc, key: AccountKey, total_fen: int, *chunks: tuple[int, ...]
                      ) -> tuple[str, list[PaymentsSettled]]:
    """A run of `key` funded from its balance, paying the chunks given, completed."""
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, total_fen)
        await fc.published(tapped, "allocation.approved.v1", run_id=request.run_id)
    paid = [await fc.settle(key, request.run_id, n, *amounts)
            for n, amounts in enumerate(chunks)]
    settled = sum(p.amount_fen for chunk in paid for p in chunk.payments)
    await fc.complete(key, request.run_id, total_fen, settled_fen=settled)
    return request.run_id, paid


async def test_the_year_end_statement_balances_and_matches_what_the_bank_settled_and_returned(
        fc) -> None:
    key = AccountKey("special_assistance", 2030, DIVISION)
    for level, amount in (("central", 500_000), ("provincial", 250_000),
                          ("municipal", 100_000), ("county", 150_001)):
        await fc.appropriate(key, amount, level=level)
    run_a, paid_a = await settled_run(fc, key, 600_000, (21_000,) * 10, (15_000,) * 4)
    _, paid_b = await settled_run(fc, key, 300_000, (21_000,) * 5)
    returned = fc.returned(key, run_a, 0, (paid_a[0].payments[3].payment_id, 21_000))
    await fc.wait_processed(await fc.publish(returned))
    before = await fc.account(key)

    async with tap(fc.env, "fund_custody") as tapped:
        response = await fc.post(path(key))
        event = await fc.published(tapped, "statement.published.v1",
                                   program_code=key.program_code, fiscal_year=2030)
    assert response.status_code == 201, response.text
    statement = response.json()
    settled = sum(p.amount_fen for chunk in (*paid_a, *paid_b) for p in chunk.payments)
    assert (statement["opening_fen"], statement["appropriated_total_fen"],
            statement["paid_fen"], statement["returned_fen"], statement["closing_fen"]) == (
        0, 1_000_001, 375_000, 21_000, 646_001)
    assert statement["paid_fen"] - statement["returned_fen"] == settled - 21_000
    assert statement["closing_fen"] == (statement["opening_fen"]
                                        + statement["appropriated_total_fen"]
                                        - statement["paid_fen"] + statement["returned_fen"])
    assert statement["closing_fen"] == before["available_fen"]
    assert statement["appropriated"] == {"central": 500_000, "provincial": 250_000,
                                         "municipal": 100_000, "county": 150_001}
    assert (statement["runs_settled"], statement["reserved_fen"],
            statement["released_fen"]) == (2, 900_000, 525_000)
    assert event["statement_id"] == statement["statement_id"]
    assert event["closing_fen"] == 646_001
    assert (await fc.get(path(key))).json() == statement


async def test_the_closing_balance_opens_the_next_year_and_the_closed_year_takes_no_money(
        fc) -> None:
    key = AccountKey("special_assistance", 2035, DIVISION)
    await fc.funded(key, 80_000)
    await settled_run(fc, key, 50_000, (21_000, 21_000))
    statement = (await fc.post(path(key))).json()
    assert statement["closing_fen"] == 38_000
    following = await fc.account(next_year(key))
    assert (following["opening_fen"], following["available_fen"]) == (38_000, 38_000)
    closed = await fc.account(key)
    assert (closed["closed"], closed["available_fen"], closed["carried_forward_fen"]) == (
        True, 0, 38_000)
    refused = await fc.appropriate(key, 1_000)
    assert refused.status_code == 409
    assert "closed" in refused.json()["detail"]
    assert (await fc.account(key))["appropriated_total_fen"] == 80_000
    again = await fc.post(path(key))
    assert (again.status_code, again.json()["statement_id"]) == (200,
                                                                 statement["statement_id"])
    assert (await fc.account(next_year(key)))["available_fen"] == 38_000


async def test_a_year_with_a_run_not_yet_settled_cannot_be_closed(fc) -> None:
    key = AccountKey("reward_assistance_rural", 2040, DIVISION)
    run_id = await fc.approved_run(key, 500_000, 360_000)
    response = await fc.post(path(key))
    assert response.status_code == 409
    assert run_id in response.json()["detail"]
    assert (await fc.get(path(key))).status_code == 404
    account = await fc.account(key)
    assert (account["closed"], account["available_fen"], account["reserved_fen"]) == (
        False, 140_000, 360_000)


async def test_a_year_cannot_be_closed_while_the_previous_year_is_open(fc) -> None:
    key = AccountKey("contraception_reward", 2060, DIVISION)
    await fc.funded(key, 30_000)
    response = await fc.post(path(next_year(key)))
    assert response.status_code == 409
    assert "2060" in response.json()["detail"]
    assert (await fc.account(key))["closed"] is False


async def test_a_return_after_the_year_closed_is_booked_into_the_next_year(fc) -> None:
    key = AccountKey("pension_top_up", 2050, DIVISION)
    await fc.funded(key, 100_000)
    run_id, paid = await settled_run(fc, key, 36_000, (12_000, 12_000, 12_000))
    closed = (await fc.post(path(key))).json()
    late = fc.returned(key, run_id, 0, (paid[0].payments[0].payment_id, 12_000))
    await fc.wait_processed(await fc.publish(late))
    following = await fc.account(next_year(key))
    assert (following["opening_fen"], following["returned_fen"],
            following["available_fen"]) == (64_000, 12_000, 76_000)
    assert (await fc.get(path(key))).json() == closed
    assert (await fc.allocation(run_id))["returned_fen"] == 12_000
    statement: dict[str, Any] = (await fc.post(path(next_year(key)))).json()
    assert (statement["opening_fen"], statement["returned_fen"],
            statement["closing_fen"]) == (64_000, 12_000, 76_000)


async def test_a_run_asking_money_of_a_closed_year_is_dead_lettered(fc) -> None:
    key = AccountKey("girls_scholarship", 2070, DIVISION)
    assert (await fc.post(path(key))).json()["closing_fen"] == 0
    message_id = await fc.publish(AllocationRequested(
        run_id=str(uuid.uuid4()), program_code=key.program_code, fiscal_year=2070,
        period="2070-S1", division_code=DIVISION, payee_count=1, total_fen=40_000))
    assert "closed" in await fc.dead_letter_reason(message_id)
    assert (await fc.account(key))["reserved_fen"] == 0


async def test_the_balance_brought_forward_funds_a_run_waiting_in_the_next_year(fc) -> None:
    key = AccountKey("one_child_health_fee", 2080, DIVISION)
    await fc.funded(key, 50_000)
    async with tap(fc.env, "fund_custody") as tapped:
        waiting = await fc.request_allocation(next_year(key), 30_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=waiting.run_id)
        assert (await fc.post(path(key))).status_code == 201
        approved = await fc.published(tapped, "allocation.approved.v1",
                                      run_id=waiting.run_id)
    assert approved["available_fen"] == 20_000
