"""Appropriations over HTTP: who may record them, what is refused, what is published."""

from __future__ import annotations

import pytest

from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.messages import tap


async def test_an_appropriation_is_recorded_published_and_made_available(
        fc, key: AccountKey) -> None:
    async with tap(fc.env, "fund_custody") as tapped:
        first = await fc.appropriate(key, 500_000, level="central")
        second = await fc.appropriate(key, 150_000, level="county")
        assert (first.status_code, second.status_code) == (201, 201)
        assert second.json()["available_fen"] == 650_000
        event = await fc.published(tapped, "appropriation.recorded.v1",
                                appropriation_id=second.json()["appropriation_id"])
    assert event["amount_fen"] == 150_000
    assert event["available_fen"] == 650_000
    assert event["fiscal_level"] == "county"
    account = await fc.account(key)
    assert account["available_fen"] == 650_000
    assert account["appropriated_fen"] == {"central": 500_000, "provincial": 0,
                                           "municipal": 0, "county": 150_000}
    assert (account["reserved_fen"], account["paid_out_fen"]) == (0, 0)


async def test_a_budget_document_submitted_twice_books_the_money_once(
        fc, key: AccountKey) -> None:
    document = "鄂财社〔2027〕12号"
    first = await fc.appropriate(key, 500_000, level="provincial", document=document)
    again = await fc.appropriate(key, 500_000, level="provincial", document=document)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["appropriation_id"] == first.json()["appropriation_id"]
    assert again.json()["recorded"] is False
    changed = await fc.appropriate(key, 600_000, level="provincial", document=document)
    assert changed.status_code == 409
    assert "was recorded as 500000 fen from the provincial level" in changed.json()["detail"]
    other = await fc.appropriate(key, 500_000, level="provincial", document="鄂财社〔2027〕13号")
    assert other.status_code == 201
    account = await fc.account(key)
    assert account["appropriated_fen"]["provincial"] == 1_000_000
    assert account["available_fen"] == 1_000_000


async def test_a_clerk_cannot_record_an_appropriation(fc, key: AccountKey) -> None:
    response = await fc.appropriate(key, 10_000, officer="clerk-420117-01")
    assert response.status_code == 403
    assert await no_special_account(fc, key)


async def test_an_auditor_cannot_record_an_appropriation(fc, key: AccountKey) -> None:
    response = await fc.appropriate(key, 10_000, officer="auditor-420117-01")
    assert response.status_code == 403
    assert await no_special_account(fc, key)


async def test_a_treasury_officer_cannot_record_an_appropriation_for_another_division(
        fc, key: AccountKey) -> None:
    elsewhere = AccountKey(key.program_code, key.fiscal_year, "420102")
    response = await fc.appropriate(elsewhere, 10_000)
    assert response.status_code == 403
    assert "420102" in response.json()["detail"]
    assert await no_special_account(fc, elsewhere)


@pytest.mark.parametrize("amount_fen", [0, -100])
async def test_an_appropriation_that_is_not_positive_is_refused_naming_the_field(
        fc, key: AccountKey, amount_fen: int) -> None:
    await fc.funded(key, 1_000)
    response = await fc.appropriate(key, amount_fen)
    assert response.status_code == 422
    assert any(error["loc"][-1] == "amount_fen" for error in response.json()["errors"])
    assert (await fc.account(key))["available_fen"] == 1_000


async def test_an_appropriation_for_a_program_outside_the_policy_catalogue_is_refused(
        fc, key: AccountKey) -> None:
    unknown = AccountKey("no_such_program", key.fiscal_year, key.division_code)
    response = await fc.appropriate(unknown, 10_000)
    assert response.status_code == 422
    assert "no_such_program" in response.json()["detail"]
    assert await no_special_account(fc, unknown)


async def test_an_auditor_cannot_read_another_divisions_account(fc, key: AccountKey) -> None:
    response = await fc.get(f"/accounts/{key.program_code}/{key.fiscal_year}/420102")
    assert response.status_code == 403
    assert "420102" in response.json()["detail"]


async def no_special_account(fc, key: AccountKey) -> bool:
    found = await fc.fetchval(
        "SELECT count(*) FROM special_accounts WHERE program_code = $1 AND fiscal_year = $2"
        " AND division_code = $3", key.program_code, key.fiscal_year, key.division_code)
    return bool(found == 0)
