"""The balances report of a program's year, through fund custody's API on the real broker
and database: per fiscal level forecast, appropriated, spent, outstanding and available,
to the fen, against figures computed here by hand. A beneficiary who died in June still
counts January to June in the forecast; one revoked later with an effective date in March
counts January and February; one certified in April counts from April. A waiting run's
shortfall is a field, in the report and in the allocation's status."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.messages import tap

DIVISION = "420117"
KEY = AccountKey("special_assistance", 2026, DIVISION)
PATH = f"/balances/{KEY.program_code}/{KEY.fiscal_year}/{KEY.division_code}"
MONTHLY = {"death": 21_000, "disability": 15_000}  # the Wuhan standard all of 2026
SHARES = {"central": 5_000, "provincial": 2_500, "municipal": 1_000, "county": 1_500}

NOTHING_OWED_BACK = {"receivable_fen": 0, "recovered_fen": 0, "written_off_fen": 0,
                     "receivable_outstanding_fen": 0}
"""No receivable this year: nothing was paid after a certification ended."""


def granted(category: str, since: date) -> CertificationGranted:
    return CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=KEY.program_code, category=category, policy_version="test",
        person_key=uuid.uuid4().hex * 2, masked_name="张**",
        masked_resident_id="4201**********1234", division_code=DIVISION,
        effective_from=since, reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=datetime.now(UTC))


def revoked(grant: CertificationGranted, since: date, reason: str) -> CertificationRevoked:
    return CertificationRevoked(
        certification_id=grant.certification_id, program_code=grant.program_code,
        person_key=grant.person_key, division_code=DIVISION, effective_from=since,
        reason=reason, revoked_by="approver-420117-01")


def by_level(total_fen: int) -> dict[str, int]:
    """A monthly amount split by the shares, the rounding remainder to the county."""
    parts = {level: total_fen * bp // 10_000 for level, bp in SHARES.items()}
    parts["county"] = total_fen - parts["central"] - parts["provincial"] - parts["municipal"]
    return parts


async def test_each_level_to_the_fen_with_a_death_in_june(fc) -> None:
    catalogue = load_catalogue()
    for month in range(1, 13):  # guards the hand-computed figures below
        period = f"2026-{month:02d}"
        for category, fen in MONTHLY.items():
            assert catalogue.amount_for(KEY.program_code, category, period, DIVISION) == fen
    shares = catalogue.in_force(KEY.program_code, date(2026, 6, 1), DIVISION).fiscal_shares
    assert (shares.central, shares.provincial, shares.municipal, shares.county) == tuple(
        SHARES.values())

    all_year = [granted("death", date(2024, 3, 1)), granted("disability", date(2025, 1, 1))]
    dies = granted("death", date(2025, 8, 1))  # died 14 June: nothing owed from 15 June
    struck = granted("disability", date(2025, 1, 1))  # revoked in August, from 1 March
    joins = granted("death", date(2026, 4, 10))  # certified in April
    for event in (*all_year, dies, struck, joins):
        await fc.wait_processed(await fc.publish(event))
    await fc.wait_processed(await fc.publish(revoked(dies, date(2026, 6, 15), "death")))
    await fc.wait_processed(await fc.publish(revoked(struck, date(2026, 3, 1),
                                                     "not eligible")))

    # Months each one is owed, counted by hand.
    months = {"death": [12, 6, 9], "disability": [12, 2]}
    in_force = {1: 4, 2: 4, 3: 3, 4: 4, 5: 4, 6: 4, 7: 3, 8: 3, 9: 3, 10: 3, 11: 3, 12: 3}
    forecast_total = sum(MONTHLY[c] * n for c, ns in months.items() for n in ns)
    assert forecast_total == 21_000 * 27 + 15_000 * 14 == 777_000
    forecast = {level: 0 for level in SHARES}
    for month in range(1, 13):
        cost = (21_000 * (1 + (month <= 6) + (month >= 4))
                + 15_000 * (1 + (month <= 2)))
        for level, part in by_level(cost).items():
            forecast[level] += part
    assert sum(forecast.values()) == forecast_total

    # Money: the county pays in 50,000; central 300,000 funds a run for November, whose
    # bank settles 21,000 + 21,000 + 15,000; a second run for 400,000 has to wait.
    assert (await fc.appropriate(KEY, 50_000, level="county")).status_code == 201
    run_id = await fc.approved_run(KEY, 300_000, 60_000)
    await fc.settle(KEY, run_id, 0, 21_000, 21_000, 15_000)
    async with tap(fc.env, "fund_custody") as tapped:
        waiting = await fc.request_allocation(KEY, 400_000)
        await fc.published(tapped, "allocation.rejected.v1", run_id=waiting.run_id)
    appropriated = {"central": 300_000, "provincial": 0, "municipal": 0, "county": 50_000}
    spent = by_level(57_000)  # all of it for November, at November's shares
    available_in_account = 350_000 - 60_000
    shortfall = 400_000 - available_in_account

    response = await fc.get(PATH, officer="treasury-420117-01")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["levels"] == [
        {"fiscal_level": level, "forecast_fen": forecast[level],
         "appropriated_fen": appropriated[level], "spent_fen": spent[level],
         "outstanding_fen": max(forecast[level] - appropriated[level], 0),
         "available_fen": appropriated[level] - spent[level], **NOTHING_OWED_BACK}
        for level in SHARES]
    assert forecast == {"central": 388_500, "provincial": 194_250, "municipal": 77_700,
                        "county": 116_550}
    assert [row["outstanding_fen"] for row in report["levels"]] == [
        88_500, 194_250, 77_700, 66_550]
    assert [row["available_fen"] for row in report["levels"]] == [
        271_500, -14_250, -5_700, 41_450]
    assert report["totals"] == {"forecast_fen": 777_000, "appropriated_fen": 350_000,
                                "spent_fen": 57_000, "outstanding_fen": 427_000,
                                "available_fen": 293_000, **NOTHING_OWED_BACK}
    assert report["certified_in_year"] == 5
    assert {row["period"]: row["certified_count"] for row in report["periods"]} == {
        f"2026-{m:02d}": n for m, n in in_force.items()}
    june = next(row for row in report["periods"] if row["period"] == "2026-06")
    assert june["certified"] == {"death": 3, "disability": 1}
    assert june["forecast_fen"] == 3 * 21_000 + 15_000
    november = next(row for row in report["periods"] if row["period"] == "2026-11")
    assert november["spent_fen"] == 57_000
    assert report["waiting_runs"] == [{"run_id": waiting.run_id, "period": "2026-11",
                                       "requested_fen": 400_000,
                                       "shortfall_fen": shortfall}]
    assert (await fc.allocation(waiting.run_id))["shortfall_fen"] == shortfall == 110_000

    # The stored forecast agrees: the one who died still counts for six months.
    asked = await fc.post(f"/forecasts/{KEY.program_code}/2026/{DIVISION}")
    assert asked.json()["total_fen"] == 777_000
    assert asked.json()["by_level"] == forecast


async def test_the_report_is_refused_elsewhere_and_for_an_unknown_account(fc) -> None:
    elsewhere = f"/balances/{KEY.program_code}/2026/420102"
    assert (await fc.get(elsewhere, officer="treasury-420117-01")).status_code == 403
    unknown = f"/balances/{KEY.program_code}/2031/{DIVISION}"
    response = await fc.get(unknown, officer="treasury-420117-01")
    assert response.status_code == 404
    assert (await fc.get(f"/balances/{KEY.program_code}/1999/{DIVISION}")).status_code == 422
