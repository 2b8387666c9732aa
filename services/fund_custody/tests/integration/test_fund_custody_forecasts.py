"""Fund forecasts (资金预报) from the certified head count: exact to the fen, split by the
fiscal shares so the levels add up to the total, published, recomputed after the roster
changes, and set against the appropriations per level in the account.

Each test forecasts its own program (the head count is per program and division, and the
module's database is shared by its tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.messages import tap
from siquan.shared.testing.waiting import eventually

DIVISION = "420117"
YEAR = 2026


def granted(key: AccountKey, category: str) -> CertificationGranted:
    return CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=key.program_code, category=category, policy_version="test",
        person_key=uuid.uuid4().hex * 2, masked_name="张**",
        masked_resident_id="4201**********1234", division_code=key.division_code,
        effective_from=date(key.fiscal_year, 1, 1), reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=datetime.now(UTC))


def revoked(grant: CertificationGranted, since: date | None = None) -> CertificationRevoked:
    return CertificationRevoked(
        certification_id=grant.certification_id, program_code=grant.program_code,
        person_key=grant.person_key, division_code=grant.division_code,
        effective_from=since or date(grant.effective_from.year, 7, 1), reason="death",
        revoked_by="approver-420117-01")


def standard(key: AccountKey, category: str, period: str) -> int:
    return load_catalogue().amount_for(key.program_code, category, period, key.division_code)


async def certify(fc, key: AccountKey, **counts: int) -> list[CertificationGranted]:
    grants = [granted(key, category) for category, n in counts.items() for _ in range(n)]
    for grant in grants:
        message_id = await fc.publish(grant)
    await fc.wait_processed(message_id)
    return grants


def path(key: AccountKey) -> str:
    return f"/forecasts/{key.program_code}/{key.fiscal_year}/{key.division_code}"


async def test_a_forecast_is_head_count_times_the_monthly_standard_times_twelve_months(
        fc) -> None:
    key = AccountKey("special_assistance", YEAR, DIVISION)
    assert (standard(key, "death", "2026-01"), standard(key, "disability", "2026-12")) == (
        21_000, 15_000)  # the Wuhan standard in force all year (guards the figures below)
    await certify(fc, key, death=3, disability=2)
    async with tap(fc.env, "fund_custody") as tapped:
        response = await fc.post(path(key))
        event = await fc.published(tapped, "forecast.published.v1",
                                   program_code=key.program_code, fiscal_year=YEAR)
    assert response.status_code == 201, response.text
    forecast = response.json()
    assert (forecast["version"], forecast["head_count"], forecast["frequency"]) == (
        1, 5, "monthly")
    assert forecast["total_fen"] == 12 * (3 * 21_000 + 2 * 15_000) == 1_116_000
    assert forecast["by_level"] == {"central": 558_000, "provincial": 279_000,
                                    "municipal": 111_600, "county": 167_400}
    assert sum(forecast["by_level"].values()) == forecast["total_fen"]
    assert [(line["category"], line["head_count"], line["per_person_fen"])
            for line in forecast["lines"]] == [("death", 3, 252_000),
                                               ("disability", 2, 180_000)]
    assert event["total_fen"] == 1_116_000 and event["by_level"] == forecast["by_level"]
    assert "person_key" not in str(event)
    assert (await fc.get(path(key))).json()["total_fen"] == 1_116_000


async def test_asking_again_without_a_roster_change_publishes_no_new_version(fc) -> None:
    key = AccountKey("contraception_reward", YEAR, DIVISION)
    await certify(fc, key, standard=2)
    first = await fc.post(path(key))
    again = await fc.post(path(key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["version"] == first.json()["version"] == 1


async def test_a_revocation_makes_a_new_forecast_version_with_one_person_less(fc) -> None:
    """A yearly benefit is owed for the year when the certification was in force on any
    day of it; one revoked from the year's first day is owed nothing."""
    key = AccountKey("reward_assistance_rural", YEAR, DIVISION)
    grants = await certify(fc, key, standard=3)
    first = await fc.post(path(key))
    assert (first.json()["head_count"], first.json()["total_fen"]) == (3, 360_000)
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.publish(revoked(grants[0], date(YEAR, 1, 1)))
        event = await fc.published(tapped, "forecast.published.v1",
                                   program_code=key.program_code, version=2)
    assert (event["cause"], event["head_count"], event["total_fen"]) == (
        "roster_changed", 2, 240_000)
    assert event["by_level"] == {"central": 120_000, "provincial": 60_000,
                                 "municipal": 24_000, "county": 36_000}
    latest = (await fc.get(path(key))).json()
    assert (latest["version"], latest["total_fen"]) == (2, 240_000)
    assert (await fc.get(f"{path(key)}?version=1")).json()["total_fen"] == 360_000


async def test_the_account_shows_per_level_forecast_appropriated_and_outstanding(fc) -> None:
    key = AccountKey("pension_top_up", YEAR, DIVISION)
    await certify(fc, key, standard=4)
    assert (await fc.post(path(key))).status_code == 201
    for level, amount in (("provincial", 300_000), ("county", 100_000)):
        response = await fc.appropriate(key, amount, level=level)
        assert response.status_code == 201, response.text
    levels = (await fc.account(key))["levels"]
    # 4 people x 12,000 fen x 12 months = 576,000 fen, shared 0 / 50 / 20 / 30 percent.
    assert levels == {
        "central": {"forecast_fen": 0, "appropriated_fen": 0, "outstanding_fen": 0},
        "provincial": {"forecast_fen": 288_000, "appropriated_fen": 300_000,
                       "outstanding_fen": 0},
        "municipal": {"forecast_fen": 115_200, "appropriated_fen": 0,
                      "outstanding_fen": 115_200},
        "county": {"forecast_fen": 172_800, "appropriated_fen": 100_000,
                   "outstanding_fen": 72_800}}


async def test_a_grant_recomputes_the_forecast_and_the_outstanding_amounts(fc) -> None:
    key = AccountKey("complication_assistance", YEAR, DIVISION)
    await certify(fc, key, grade_1=1)
    assert (await fc.post(path(key))).json()["total_fen"] == 360_000
    await certify(fc, key, grade_2=1)

    async def recomputed() -> dict[str, Any] | None:
        account = await fc.account(key)
        return account if account["forecast_version"] == 2 else None

    account = await eventually(recomputed, what="second forecast version")
    assert account["forecast_total_fen"] == 600_000
    assert account["levels"]["county"]["outstanding_fen"] == 180_000


async def test_only_a_treasury_officer_of_the_division_may_ask_for_a_forecast(fc) -> None:
    key = AccountKey("girls_scholarship", YEAR, DIVISION)
    assert (await fc.post(path(key), officer="auditor-420117-01")).status_code == 403
    elsewhere = AccountKey("girls_scholarship", YEAR, "420102")
    assert (await fc.post(path(elsewhere))).status_code == 403
    assert (await fc.get(path(key))).status_code == 404
