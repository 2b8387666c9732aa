"""Through fund custody's API on the real broker and database:

- A change of category (disability → death of the only child from April) counts January to
  March at the disability standard and April to December at the death standard, per fiscal
  level, whichever order the grant, the change and a transfer arrive in; a transfer to
  another county counts each month in the county that paid it.
- An arrear paid in January of year Y for December of year Y-1 is paid from year Y's
  account (the run's), whose reports count it in the run's own period; the closed year
  Y-1 and its statement do not move.

Each test takes an account of its own (`fresh_key`), a year no other test uses, and its
certifications end with that year, so a forecast counts only the test's own."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts.disbursement_v1 import (
    AllocationRequested,
    PaymentRunCompleted,
    PaymentsSettled,
    SettledPayment,
)
from siquan.contracts.eligibility_v1 import (
    CertificationCategoryChanged,
    CertificationGranted,
    CertificationRevoked,
    CertificationTransferred,
)
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.testing.figures import split
from siquan.shared.testing.messages import tap

from .conftest import bearer, fresh_key

DEATH, DISABILITY = 21_000, 15_000  # special assistance, Wuhan, per person per month
OTHER_COUNTY = "420102"  # a county with a treasury officer, besides 420117
SHARES = (5_000, 2_500, 1_000, 1_500)  # central, provincial, municipal, county


async def special_assistance(fc: Any, first: int, last: int) -> AccountKey:
    """A fresh special assistance account of a year in [first, last] (each test its own
    range, in the order they run: a fresh account has no account of its program in a
    later year)."""
    return await fresh_key(fc, lambda k: k.program_code == "special_assistance"
                           and first <= k.fiscal_year <= last)


def granted(key: AccountKey, category: str) -> CertificationGranted:
    return CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=key.program_code, category=category, policy_version="test",
        person_key=uuid.uuid4().hex * 2, masked_name="张**",
        masked_resident_id="4201**********1234", division_code=key.division_code,
        effective_from=date(key.fiscal_year, 1, 1), reviewed_by="reviewer-01",
        approved_by="approver-01", approved_at=datetime.now(UTC))


def ended(grant: CertificationGranted) -> CertificationRevoked:
    """Nothing owed from the next year on (keeps the test's certification out of the
    forecasts of later years)."""
    return CertificationRevoked(
        certification_id=grant.certification_id, program_code=grant.program_code,
        person_key=grant.person_key, division_code=grant.division_code,
        effective_from=date(grant.effective_from.year + 1, 1, 1), reason="year ended",
        revoked_by="approver-01")


def changed(grant: CertificationGranted, to: str, since: date) -> CertificationCategoryChanged:
    return CertificationCategoryChanged(
        change_id=str(uuid.uuid4()), certification_id=grant.certification_id,
        program_code=grant.program_code, person_key=grant.person_key,
        division_code=grant.division_code, from_category=grant.category, to_category=to,
        effective_from=since, reason="the only child died", decided_by="approver-01",
        decided_at=datetime.now(UTC))


def transferred(grant: CertificationGranted, to_division: str, category: str,
                since: date) -> CertificationTransferred:
    return CertificationTransferred(
        transfer_id=str(uuid.uuid4()), certification_id=grant.certification_id,
        program_code=grant.program_code, category=category, person_key=grant.person_key,
        from_division_code=grant.division_code, to_division_code=to_division,
        effective_from=since, initiated_by="approver-01", accepted_by="approver-02",
        accepted_at=datetime.now(UTC))


async def delivered(fc: Any, *events: Any) -> None:
    for event in events:
        await fc.wait_processed(await fc.publish(event))


async def forecast(fc: Any, key: AccountKey) -> dict[str, Any]:
    """The account's forecast computed now (asked for by the county's treasury officer)."""
    response = await fc.http.post(
        f"/forecasts/{key.program_code}/{key.fiscal_year}/{key.division_code}",
        headers=bearer(f"treasury-{key.division_code}-01"))
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def levels(total_fen: int) -> dict[str, int]:
    return split(total_fen, SHARES)


async def test_a_change_of_category_from_april_counts_each_month_at_its_own_standard(
        fc) -> None:
    """The first forecast counts the year at the disability standard; the change to death
    from April makes it due again, and the loop publishes one that splits the year."""
    key = await special_assistance(fc, 2030, 2064)
    grant = granted(key, "disability")
    await delivered(fc, grant, ended(grant))
    assert (await forecast(fc, key))["total_fen"] == 12 * DISABILITY
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.publish(changed(grant, "death", date(key.fiscal_year, 4, 1)))
        event = await fc.published(tapped, "forecast.published.v1",
                                   program_code=key.program_code,
                                   fiscal_year=key.fiscal_year, version=2)
    total = 3 * DISABILITY + 9 * DEATH
    assert (event["cause"], event["total_fen"], event["head_count"]) == (
        "roster_changed", total, 1)
    assert total == 234_000  # not 12 × 21,000 = 252,000
    assert event["by_level"] == levels(total)
    assert [(line["category"], line["head_count"], line["total_fen"])
            for line in event["lines"]] == [("death", 1, 9 * DEATH),
                                            ("disability", 1, 3 * DISABILITY)]
    report = await fc.get(
        f"/balances/{key.program_code}/{key.fiscal_year}/{key.division_code}")
    months = {row["period"]: (row["certified"], row["forecast_fen"])
              for row in report.json()["periods"]}
    assert months[f"{key.fiscal_year}-03"] == ({"disability": 1}, DISABILITY)
    assert months[f"{key.fiscal_year}-04"] == ({"death": 1}, DEATH)


async def test_a_transfer_and_a_change_count_each_month_in_its_county_and_category(
        fc) -> None:
    """Disability here until June, transferred to another county from July; the change to
    death from April, recorded after the transfer, reaches the receiving county too."""
    here = await special_assistance(fc, 2066, 2100)
    there = AccountKey(here.program_code, here.fiscal_year, OTHER_COUNTY)
    grant = granted(here, "disability")
    year = here.fiscal_year
    await delivered(fc, grant, ended(grant),
                    transferred(grant, OTHER_COUNTY, "disability", date(year, 7, 1)),
                    changed(grant, "death", date(year, 4, 1)))
    sending, receiving = await forecast(fc, here), await forecast(fc, there)
    assert sending["total_fen"] == 3 * DISABILITY + 3 * DEATH
    assert sending["by_level"] == levels(3 * DISABILITY + 3 * DEATH)
    assert receiving["total_fen"] == 6 * DEATH
    assert receiving["by_level"] == levels(6 * DEATH)
    assert (sending["head_count"], receiving["head_count"]) == (1, 1)


def settled_with_arrear(key: AccountKey, run_id: str, period: str, own_fen: int,
                        arrear_period: str, arrear_fen: int) -> PaymentsSettled:
    return PaymentsSettled(
        run_id=run_id, program_code=key.program_code, period=period,
        division_code=key.division_code, chunk=0,
        payments=(SettledPayment(payment_id=str(uuid.uuid4()), person_key=uuid.uuid4().hex * 2,
                                 certification_id=str(uuid.uuid4()), item="benefit",
                                 amount_fen=own_fen, bank_reference="B0"),
                  SettledPayment(payment_id=str(uuid.uuid4()), person_key=uuid.uuid4().hex * 2,
                                 certification_id=str(uuid.uuid4()), item="benefit",
                                 amount_fen=arrear_fen, bank_reference="B1",
                                 period=arrear_period)))


async def test_an_arrear_for_the_closed_year_is_paid_and_reported_in_the_runs_year(
        fc) -> None:
    key = await fresh_key(fc, lambda k: k.program_code in ("pension_top_up",
                                                           "one_child_health_fee")
                          and k.fiscal_year >= 2011)  # monthly, a policy in both years
    previous = AccountKey(key.program_code, key.fiscal_year - 1, key.division_code)
    await fc.funded(previous, 50_000)
    closed = await fc.post(
        f"/statements/{previous.program_code}/{previous.fiscal_year}/{previous.division_code}")
    assert closed.status_code == 201, closed.text
    await fc.funded(key, 100_000)
    january, december = f"{key.fiscal_year}-01", f"{previous.fiscal_year}-12"
    run_id = str(uuid.uuid4())
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.publish(AllocationRequested(
            run_id=run_id, program_code=key.program_code, fiscal_year=key.fiscal_year,
            period=january, division_code=key.division_code, payee_count=2,
            total_fen=DEATH + DISABILITY))
        await fc.published(tapped, "allocation.approved.v1", run_id=run_id)
    await delivered(fc, settled_with_arrear(key, run_id, january, DEATH, december,
                                            DISABILITY))
    await delivered(fc, PaymentRunCompleted(
        run_id=run_id, program_code=key.program_code, period=january,
        division_code=key.division_code, payee_count=2, total_fen=DEATH + DISABILITY,
        settled_count=2, settled_fen=DEATH + DISABILITY, failed_count=0, failed_fen=0))

    paid = DEATH + DISABILITY
    current = await fc.account(key)
    assert (current["opening_fen"], current["paid_out_fen"], current["available_fen"]) == (
        50_000, paid, 50_000 + 100_000 - paid)
    past = await fc.account(previous)
    assert (past["closed"], past["paid_out_fen"], past["carried_forward_fen"]) == (
        True, 0, 50_000)
    statement = await fc.get(
        f"/statements/{previous.program_code}/{previous.fiscal_year}/{previous.division_code}")
    assert statement.json() == closed.json()

    balances = (await fc.get(
        f"/balances/{key.program_code}/{key.fiscal_year}/{key.division_code}")).json()
    spent = {row["period"]: row["spent_fen"] for row in balances["periods"]}
    assert spent[january] == paid and december not in spent
    run_shares = load_catalogue().in_force(key.program_code, date(key.fiscal_year, 1, 1),
                                           key.division_code).fiscal_shares
    split_as_the_run = split(paid, (run_shares.central, run_shares.provincial,
                                    run_shares.municipal, run_shares.county))
    assert {row["fiscal_level"]: row["spent_fen"] for row in balances["levels"]} == (
        split_as_the_run)

    report = (await fc.get(
        f"/reports/monthly/{key.program_code}/{january}/{key.division_code}")).json()
    month = {row["fiscal_level"]: row["month"]["spent_fen"] for row in report["levels"]}
    assert month == split_as_the_run
