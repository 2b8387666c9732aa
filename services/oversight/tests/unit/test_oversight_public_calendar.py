"""Working-day arithmetic for complaint SLAs: weekends and holidays do not count, make-up
working days do, and an objection is due within its notice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from siquan.oversight.public.domain.calendar import WorkCalendar, end_of_day, local_day
from siquan.oversight.public.domain.complaints import (
    DEFAULT_SLA_WORKING_DAYS,
    due_on,
    is_overdue,
    sla_working_days,
)

PLAIN = WorkCalendar()
FRIDAY = date(2026, 11, 6)
BEIJING = ZoneInfo("Asia/Shanghai")
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
holidays = st.frozensets(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
                         max_size=40)


def test_one_working_day_after_a_friday_is_the_monday() -> None:
    assert PLAIN.add_working_days(FRIDAY, 1) == date(2026, 11, 9)


def test_a_complaint_filed_at_the_weekend_starts_counting_on_monday() -> None:
    assert PLAIN.add_working_days(date(2026, 11, 7), 1) == date(2026, 11, 9)
    assert PLAIN.add_working_days(date(2026, 11, 8), 1) == date(2026, 11, 9)


def test_fifteen_working_days_span_three_weeks_without_holidays() -> None:
    assert PLAIN.add_working_days(FRIDAY, 15) == FRIDAY + timedelta(weeks=3)


def test_holidays_are_skipped_and_makeup_workdays_count() -> None:
    national_day = WorkCalendar.of(
        holidays=[date(2026, 10, d) for d in range(1, 8)],
        makeup_workdays=[date(2026, 10, 10)])  # a Saturday worked in exchange

    assert national_day.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert national_day.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_zero_working_days_is_the_same_day() -> None:
    assert PLAIN.add_working_days(FRIDAY, 0) == FRIDAY


@given(days, st.integers(min_value=1, max_value=60), holidays)
def test_the_due_day_is_a_working_day(start: date, n: int, off: frozenset[date]) -> None:
    calendar = WorkCalendar(holidays=off)
    assert calendar.is_working_day(calendar.add_working_days(start, n))


@given(days, st.integers(min_value=0, max_value=60), holidays)
def test_exactly_n_working_days_pass_until_the_due_day(start: date, n: int,
                                                       off: frozenset[date]) -> None:
    calendar = WorkCalendar(holidays=off)
    assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


@given(days, st.integers(min_value=0, max_value=60))
def test_more_working_days_never_end_sooner(start: date, n: int) -> None:
    assert PLAIN.add_working_days(start, n + 1) > PLAIN.add_working_days(start, n)


@given(days.filter(lambda d: d.weekday() < 5), st.integers(min_value=0, max_value=20))
def test_every_five_working_days_from_a_weekday_are_a_calendar_week(start: date,
                                                                    weeks: int) -> None:
    assert PLAIN.add_working_days(start, 5 * weeks) == start + timedelta(weeks=weeks)


@given(days, st.integers(min_value=1, max_value=30), holidays)
def test_a_holiday_never_makes_a_deadline_sooner(start: date, n: int,
                                                 off: frozenset[date]) -> None:
    assert WorkCalendar(holidays=off).add_working_days(start, n) >= \
        PLAIN.add_working_days(start, n)


def test_a_complaint_is_due_after_its_categorys_working_days() -> None:
    sla = sla_working_days({})

    assert due_on("not_paid_in_full", FRIDAY, PLAIN, sla) == date(2026, 11, 27)


def test_an_objection_is_due_when_its_notice_closes_if_that_is_sooner() -> None:
    sla = sla_working_days({})

    assert due_on("notice_objection", date(2026, 11, 2), PLAIN, sla,
                  notice_closes_on=date(2026, 11, 5)) == date(2026, 11, 5)


def test_an_objection_filed_on_the_closing_day_still_gets_a_working_day() -> None:
    sla = sla_working_days({})

    assert due_on("notice_objection", FRIDAY, PLAIN, sla,
                  notice_closes_on=FRIDAY) == date(2026, 11, 9)


def test_an_objection_is_never_due_later_than_its_own_sla() -> None:
    sla = sla_working_days({})

    assert due_on("notice_objection", date(2026, 11, 2), PLAIN, sla,
                  notice_closes_on=date(2026, 12, 31)) == date(2026, 11, 9)


@given(days, st.sampled_from(sorted(DEFAULT_SLA_WORKING_DAYS)),
       st.one_of(st.none(), days))
def test_every_complaint_is_due_at_least_a_working_day_later(
        filed: date, category: str, closes: date | None) -> None:
    due = due_on(category, filed, PLAIN, sla_working_days({}), closes)
    assert due >= PLAIN.add_working_days(filed, 1)


def test_the_sla_can_be_configured_per_category_but_not_for_unknown_ones() -> None:
    assert sla_working_days({"officer_misconduct": 10})["officer_misconduct"] == 10
    try:
        sla_working_days({"noise": 3})
    except ValueError as error:
        assert "noise" in str(error)
    else:
        raise AssertionError("an unknown category was accepted")


def test_a_due_day_ends_at_local_midnight() -> None:
    assert end_of_day(FRIDAY, BEIJING) == datetime(2026, 11, 6, 16, 0, tzinfo=UTC)


def test_days_are_counted_on_the_local_calendar() -> None:
    assert local_day(datetime(2026, 11, 6, 17, 0, tzinfo=UTC), BEIJING) == date(2026, 11, 7)


def test_only_an_open_complaint_past_its_due_instant_is_overdue() -> None:
    due = datetime(2026, 11, 6, 16, 0, tzinfo=UTC)

    assert is_overdue("open", due, due)
    assert not is_overdue("open", due, due - timedelta(seconds=1))
    assert not is_overdue("resolved", due, due + timedelta(days=9))
