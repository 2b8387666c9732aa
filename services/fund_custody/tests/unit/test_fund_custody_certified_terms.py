"""A certification counts in the forecast for exactly the periods it was payable in (in
force on at least one day of the period, the rule disbursement pays by): a revocation stops
it from its effective date, not for the whole year; a grant counts from its own. The
balances report shows per fiscal level forecast, appropriated, spent, outstanding and
available, per period what was certified then, and each waiting run's shortfall."""

from __future__ import annotations

from datetime import date

import pytest

from siquan.fund_custody.application.certifications import count_certified, stop_counting
from siquan.fund_custody.application.forecasts import request_forecast
from siquan.fund_custody.application.queries import allocation_status, balances_report
from siquan.fund_custody.domain.forecast import CertifiedTerm, counts_in, forecast
from siquan.shared.errors import NotFound, OutOfScope

from .conftest import KEY, officer

MONTHLY = 21_000  # the "death" standard of special_assistance in 2026, per month
SHARES = (5_000, 2_500, 1_000, 1_500)
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def months_payable(term: CertifiedTerm) -> list[int]:
    return [int(p[5:]) for p in MONTHS if term.payable_in(p)]


def test_a_revocation_from_1_july_leaves_january_to_june() -> None:
    term = CertifiedTerm("death", date(2025, 5, 1), date(2026, 7, 1), active=False)
    assert months_payable(term) == [1, 2, 3, 4, 5, 6]


def test_a_death_in_mid_june_still_counts_june() -> None:
    term = CertifiedTerm("death", date(2025, 5, 1), date(2026, 6, 15), active=False)
    assert months_payable(term) == [1, 2, 3, 4, 5, 6]


def test_a_grant_in_mid_april_counts_from_april() -> None:
    assert months_payable(CertifiedTerm("death", date(2026, 4, 10), None)) == list(
        range(4, 13))


@pytest.mark.parametrize(("certified_from", "until", "months"), [
    (date(2026, 3, 31), None, list(range(3, 13))),  # granted on the month's last day
    (date(2026, 4, 1), None, list(range(4, 13))),  # granted on the next month's first
    (None, date(2026, 3, 1), [1, 2]),  # ends on a month's first day: not that month
    (None, date(2026, 3, 2), [1, 2, 3]),  # ends a day later: that month counts
    (None, date(2026, 1, 1), []),  # ended before the year
    (date(2027, 1, 1), None, []),  # granted after the year
    (date(2026, 2, 1), date(2026, 2, 1), []),  # revoked from the day it began
])
def test_period_boundaries(certified_from: date | None, until: date | None,
                           months: list[int]) -> None:
    assert months_payable(CertifiedTerm("death", certified_from, until,
                                        active=until is None)) == months


def test_a_revocation_recorded_without_a_date_counts_nowhere_as_before() -> None:
    assert months_payable(CertifiedTerm("death", None, None, active=False)) == []


def test_the_forecast_counts_each_term_in_its_own_months() -> None:
    terms = [CertifiedTerm("death", date(2025, 1, 1), None),
             CertifiedTerm("death", date(2025, 1, 1), date(2026, 7, 1), active=False),
             CertifiedTerm("death", date(2026, 10, 1), None)]
    result = forecast(terms, "monthly", 2026, lambda c, p: MONTHLY, lambda p: SHARES)
    assert result.head_count == 3
    assert result.total_fen == MONTHLY * (12 + 6 + 3)
    assert result.lines[0].total_fen == result.total_fen
    assert counts_in(terms, "2026-06") == {"death": 2}
    assert counts_in(terms, "2026-07") == {"death": 1}
    assert counts_in(terms, "2026-10") == {"death": 2}


async def grant(given, uow, since: date):
    event = given.granted("death").model_copy(update={"effective_from": since})
    await given.done(count_certified(event, uow))
    return event


async def revoke(given, uow, grant_event, until: date) -> None:
    event = given.revoked(grant_event).model_copy(update={"effective_from": until})
    await given.done(stop_counting(event, uow))


async def test_a_death_in_june_keeps_its_six_months_in_the_forecast(uow, given) -> None:
    dies = await grant(given, uow, date(2025, 1, 1))
    await grant(given, uow, date(2025, 1, 1))
    await revoke(given, uow, dies, date(2026, 7, 1))
    stored, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert stored.forecast.total_fen == MONTHLY * (12 + 6)
    assert stored.forecast.head_count == 2


async def test_a_retroactive_revocation_takes_the_earlier_date(uow, given) -> None:
    """A revocation entered in August, effective from 1 March, leaves January and
    February; a later revocation with a later date does not bring months back."""
    event = await grant(given, uow, date(2025, 1, 1))
    await revoke(given, uow, event, date(2026, 3, 1))
    await revoke(given, uow, event, date(2026, 9, 1))
    stored, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert stored.forecast.total_fen == MONTHLY * 2


async def test_a_revocation_seen_before_its_grant_keeps_both_dates(uow, given) -> None:
    event = given.granted("death").model_copy(update={"effective_from": date(2026, 2, 1)})
    await revoke(given, uow, event, date(2026, 5, 1))
    await given.done(count_certified(event, uow))
    stored, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert stored.forecast.total_fen == MONTHLY * 3  # February to April


async def test_the_balances_report_per_level_period_and_waiting_run(uow, given) -> None:
    dies = await grant(given, uow, date(2025, 1, 1))
    await grant(given, uow, date(2025, 1, 1))
    await grant(given, uow, date(2026, 11, 1))
    await revoke(given, uow, dies, date(2026, 7, 1))
    forecast_fen = MONTHLY * (12 + 6 + 2)  # 420,000
    run_id = await given.approved_run(100_000, 60_000)  # central pays in 100,000
    await given.paid(run_id, 0, 21_000, 21_000)  # a run for 2026-11
    waiting = await given.requested(50_000)  # 40,000 available: 10,000 short
    report = await balances_report(uow, officer(), KEY)
    levels = {row["fiscal_level"]: row for row in report["levels"]}
    central_forecast = forecast_fen * 5_000 // 10_000
    central_spent = 42_000 * 5_000 // 10_000
    assert levels["central"] == {
        "fiscal_level": "central", "forecast_fen": central_forecast,
        "appropriated_fen": 100_000, "spent_fen": central_spent,
        "outstanding_fen": central_forecast - 100_000,
        "available_fen": 100_000 - central_spent, "receivable_fen": 0, "recovered_fen": 0,
        "written_off_fen": 0, "receivable_outstanding_fen": 0}
    county_spent = 42_000 - sum(42_000 * bp // 10_000 for bp in SHARES[:3])
    assert levels["county"]["spent_fen"] == county_spent
    assert levels["county"]["available_fen"] == -county_spent
    assert levels["county"]["outstanding_fen"] == forecast_fen - sum(
        forecast_fen * bp // 10_000 for bp in SHARES[:3])
    assert report["totals"]["forecast_fen"] == forecast_fen
    assert report["totals"]["spent_fen"] == 42_000
    periods = {row["period"]: row for row in report["periods"]}
    assert periods["2026-06"]["certified"] == {"death": 2}
    assert periods["2026-07"]["certified"] == {"death": 1}
    assert periods["2026-11"]["certified_count"] == 2
    assert periods["2026-11"]["forecast_fen"] == 2 * MONTHLY
    assert periods["2026-11"]["spent_fen"] == 42_000
    assert report["certified_in_year"] == 3
    assert report["waiting_runs"] == [{"run_id": waiting, "period": "2026-11",
                                       "requested_fen": 50_000, "shortfall_fen": 10_000}]
    status = await allocation_status(uow, officer(), waiting)
    assert (status["status"], status["shortfall_fen"]) == ("waiting", 10_000)


async def test_outstanding_is_never_negative(uow, given) -> None:
    await grant(given, uow, date(2025, 1, 1))
    await given.funded(10_000_000)
    report = await balances_report(uow, officer(), KEY)
    central = next(r for r in report["levels"] if r["fiscal_level"] == "central")
    assert central["outstanding_fen"] == 0
    assert central["available_fen"] == 10_000_000


async def test_the_report_is_refused_outside_the_division_or_without_an_account(
        uow, given) -> None:
    await given.funded(1_000)
    with pytest.raises(OutOfScope):
        await balances_report(uow, officer(division="110101"), KEY)
    with pytest.raises(NotFound):
        await balances_report(uow, officer(), KEY.__class__(KEY.program_code, 2027,
                                                             KEY.division_code))
