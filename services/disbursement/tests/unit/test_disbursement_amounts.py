"""Property tests for what a run owes: periods, the arrears window, arrears and policy
raises. Amounts always come from the version in force on the paid period's first day."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from siquan.contracts.periods import period_end, period_start, previous_period
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.domain.amounts import amount_table, arrears_window
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.roster import Candidate, PayeeAccount, plan_person

CATALOGUE = load_catalogue()
ACCOUNT = PayeeAccount("102", "6222021234567890123")
months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2009, 2030), st.integers(1, 12))
years = st.integers(2010, 2030).map(str)
semesters = st.builds(lambda y, s: f"{y:04d}-S{s}", st.integers(2009, 2030), st.integers(1, 2))
days = st.dates(date(2008, 1, 1), date(2031, 12, 31))


def policy_amount(program: str, category: str, period: str) -> int:
    version = CATALOGUE.in_force(program, period_start(period), "420117")
    return version.benefit(category).amount_fen


@given(st.one_of(months, years, semesters))
def test_the_previous_period_ends_the_day_before_a_period_starts(period: str) -> None:
    earlier = previous_period(period)
    assert earlier is not None
    assert period_end(earlier) + timedelta(days=1) == period_start(period)


@given(months, months, st.integers(0, 40))
def test_the_arrears_window_is_consecutive_bounded_and_before_the_run(
        period: str, first: str, limit: int) -> None:
    window = arrears_window(period, first, limit)
    assert len(window) <= limit
    assert all(period_start(first) <= period_start(p) < period_start(period) for p in window)
    chain = [*window, period]
    assert all(previous_period(b) == a for a, b in itertools.pairwise(chain))
    if limit and period_start(first) < period_start(period):
        assert window and window[-1] == previous_period(period)


@given(months, st.sampled_from(["death", "disability"]))
def test_a_months_amount_is_the_one_in_force_on_its_first_day(period: str,
                                                              category: str) -> None:
    table = amount_table(CATALOGUE, "special_assistance", period, "420117")
    assert table.run.amount(category) == policy_amount("special_assistance", category, period)
    assert table.run.amount(category) == (
        {"death": 10_000, "disability": 8_000} if period < "2012-01"
        else {"death": 21_000, "disability": 15_000})[category]


@given(years)
def test_a_countys_own_raise_applies_in_that_county_only(period: str) -> None:
    county = amount_table(CATALOGUE, "reward_assistance_rural", period, "420117")
    elsewhere = amount_table(CATALOGUE, "reward_assistance_rural", period, "420102")
    assert elsewhere.run.amount("standard") == 120_000
    assert county.run.amount("standard") == policy_amount("reward_assistance_rural",
                                                           "standard", period)
    assert county.run.amount("standard") >= 120_000


@settings(max_examples=300)
@given(months, st.integers(0, 24), days, st.one_of(st.none(), days),
       st.sampled_from(["death", "disability"]), st.data())
def test_a_person_is_paid_each_active_unpaid_period_once_at_its_own_amount(
        period: str, reach: int, starts: date, ends: date | None, category: str,
        data: st.DataObject) -> None:
    first = "2009-01"
    window = arrears_window(period, first, reach)
    table = amount_table(CATALOGUE, "special_assistance", period, "420117", window)
    cert = Certification("c1", "a" * 64, "special_assistance", category, "420117", starts,
                         ends if ends is None or ends > starts else None)
    paid = frozenset(data.draw(st.sets(st.sampled_from([*window, period]))))
    payments, skipped = plan_person([Candidate(cert, ACCOUNT, False, paid)], table)

    if not cert.active_in(period):  # ended (or not begun): the window's months it owed
        assert skipped == []
        assert [(p.period, p.arrear) for p in payments] == [
            (p, True) for p in window if cert.active_in(p) and p not in paid]
        assert all(p.amount_fen == policy_amount("special_assistance", category, p.period)
                   for p in payments)
        return
    if period in paid:
        assert payments == [] and len(skipped) == 1
        return
    owed = [p for p in [*window, period] if cert.active_in(p) and p not in paid]
    assert [p.period for p in payments] == owed
    assert all(p.amount_fen == policy_amount("special_assistance", category, p.period)
               for p in payments)
    assert [p.arrear for p in payments] == [p != period for p in owed]
    assert sum(p.amount_fen for p in payments) == sum(
        policy_amount("special_assistance", category, p) for p in owed)


@given(months, days)
def test_nothing_is_owed_for_a_month_after_the_one_a_person_died_in(period: str,
                                                                    died: date) -> None:
    from siquan.disbursement.domain.certification import benefits_end_after_death

    cert = Certification("c1", "a" * 64, "special_assistance", "death", "420117",
                         date(2008, 1, 1), benefits_end_after_death(died))
    window = arrears_window(period, "2009-01", 12)
    table = amount_table(CATALOGUE, "special_assistance", period, "420117", window)
    payments, _ = plan_person([Candidate(cert, ACCOUNT, False)], table)
    assert all(period_start(p.period) <= died for p in payments)


def test_runs_of_every_frequency_take_their_amounts_from_the_policy() -> None:
    cases = [("special_assistance", "2026-05", "death"),
             ("reward_assistance_rural", "2026", "standard"),
             ("girls_scholarship", "2026-S2", "high_school"),
             ("consolation_one_off", "2026-O1", "death")]
    for program, period, category in cases:
        table = amount_table(CATALOGUE, program, period, "420117")
        assert table.run.amount(category) == CATALOGUE.amount_for(program, category, period,
                                                                  "420117")


def test_semesters_owe_arrears_across_the_year_and_one_offs_none() -> None:
    assert arrears_window("2027-S1", "2026-S1", 12) == ["2026-S1", "2026-S2"]
    assert arrears_window("2027", "2025", 1) == ["2026"]
    assert arrears_window("2027-O2", "2027-O1", 12) == []
