"""The fund forecast: head count × standard × the year's periods, split by fiscal shares
with the rounding remainder to the county so the levels add up to the total exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siquan.fund_custody.domain.forecast import (
    WHOLE,
    forecast,
    outstanding,
    split,
)

SHARES = (5_000, 2_500, 1_000, 1_500)


def flat(per_period: dict[str, int]) -> Callable[[str, str], int]:
    return lambda category, period: per_period.get(category, 0)


@pytest.mark.parametrize(("frequency", "periods"), [
    ("monthly", 12), ("yearly", 1), ("semester", 2), ("one_off", 1)])
def test_a_forecast_covers_the_periods_of_its_frequency_in_the_year(frequency: str,
                                                                     periods: int) -> None:
    result = forecast({"x": 1}, frequency, 2026, flat({"x": 100}), lambda _: SHARES)
    assert len(result.periods) == periods
    assert all(p.startswith("2026") for p in result.periods)
    assert result.total_fen == 100 * periods


def test_a_monthly_program_owes_twelve_months_per_certified_person() -> None:
    result = forecast({"death": 3, "disability": 2}, "monthly", 2026,
                      flat({"death": 21_000, "disability": 15_000}), lambda p: SHARES)
    assert result.head_count == 5
    assert result.total_fen == 3 * 21_000 * 12 + 2 * 15_000 * 12
    assert [(line.category, line.per_person_fen) for line in result.lines] == [
        ("death", 252_000), ("disability", 180_000)]


def test_the_total_is_split_by_the_fiscal_shares() -> None:
    result = forecast({"standard": 10}, "yearly", 2026, flat({"standard": 120_000}),
                      lambda p: SHARES)
    assert dict(result.by_level) == {"central": 600_000, "provincial": 300_000,
                                     "municipal": 120_000, "county": 180_000}


def test_the_rounding_remainder_goes_to_the_county() -> None:
    assert split(7, (3_333, 3_333, 3_333, 1)) == {"central": 2, "provincial": 2,
                                                   "municipal": 2, "county": 1}


def test_a_standard_raised_mid_year_counts_each_period_at_its_own_amount() -> None:
    def amount(category: str, period: str) -> int:
        return 10_000 if period < "2026-07" else 15_000
    result = forecast({"death": 1}, "monthly", 2026, amount, lambda p: SHARES)
    assert result.total_fen == 6 * 10_000 + 6 * 15_000


def test_a_category_with_nobody_certified_has_no_line() -> None:
    result = forecast({"death": 0}, "monthly", 2026, flat({"death": 21_000}), lambda p: SHARES)
    assert result.lines == () and result.total_fen == 0


def test_outstanding_is_what_the_forecast_expects_beyond_the_appropriations() -> None:
    owed = outstanding({"central": 1_000, "provincial": 500, "municipal": 0, "county": 200},
                       {"central": 400, "provincial": 800, "municipal": 0, "county": 200})
    assert owed == {"central": 600, "provincial": 0, "municipal": 0, "county": 0}


shares = st.lists(st.integers(0, WHOLE), min_size=3, max_size=3).filter(
    lambda s: sum(s) <= WHOLE).map(lambda s: (*s, WHOLE - sum(s)))


@given(st.integers(0, 10**12), shares)
def test_the_levels_always_add_up_to_the_total_and_none_is_negative(
        total: int, basis_points: tuple[int, int, int, int]) -> None:
    parts = split(total, basis_points)
    assert sum(parts.values()) == total
    assert all(v >= 0 for v in parts.values())
