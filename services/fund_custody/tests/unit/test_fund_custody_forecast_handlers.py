"""The fund forecast, asked for by a treasury officer and computed again by the background
loop: head count × the standard of each period, published only when a figure changed; an
account whose roster changed is due again only after the debounce interval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from siquan.contracts.fund_custody_v1 import ForecastPublished
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.application.certifications import count_certified, stop_counting
from siquan.fund_custody.application.forecasts import (
    forecasts_due,
    refresh_forecast,
    request_forecast,
)
from siquan.fund_custody.application.statements import produce_statement
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.errors import Refused

from .conftest import KEY, officer


async def certify(given, **counts: int) -> list:
    grants = [given.granted(category) for category, n in counts.items() for _ in range(n)]
    for grant in grants:
        await given.done(count_certified(grant, given.uow))
    return grants


async def test_a_requested_forecast_is_head_count_times_the_standard_and_published(
        uow, given) -> None:
    await certify(given, death=3, disability=2)
    stored, new = await uow.run(request_forecast(uow, officer(), KEY))
    assert new
    assert (stored.version, stored.forecast.head_count, stored.forecast.total_fen) == (
        1, 5, 12 * (3 * 21_000 + 2 * 15_000))
    [event] = uow.published(ForecastPublished)
    assert (event.total_fen, event.cause, event.by_level.central) == (1_116_000, "requested",
                                                                      558_000)


async def test_asking_again_without_a_roster_change_publishes_nothing(uow, given) -> None:
    await certify(given, death=1)
    await given.done(request_forecast(uow, officer(), KEY))
    stored, new = await uow.run(request_forecast(uow, officer(), KEY))
    assert (new, stored.version) == (False, 1)
    assert uow.published() == []


async def test_a_forecast_of_a_year_no_policy_covers_is_refused(uow) -> None:
    with pytest.raises(Refused, match="no version"):
        await uow.run(request_forecast(uow, officer(), AccountKey(KEY.program_code, 2000,
                                                                  KEY.division_code)))


async def test_a_forecast_of_a_closed_year_is_refused(uow, given) -> None:
    closed = AccountKey(KEY.program_code, 2025, KEY.division_code)
    await given.funded(1_000, closed)
    await given.done(produce_statement(uow, officer(), closed))
    with pytest.raises(Refused, match="closed"):
        await uow.run(request_forecast(uow, officer(), closed))


async def test_an_account_whose_roster_changed_is_due_only_after_the_debounce_interval(
        uow, given, clock) -> None:
    await certify(given, death=2)
    await given.done(request_forecast(uow, officer(), KEY))
    await certify(given, death=1)
    assert await forecasts_due(uow, debounce_seconds=5) == []
    clock.advance(timedelta(seconds=5))
    assert await forecasts_due(uow, debounce_seconds=5) == [
        (await uow.accounts.find(KEY)).id]


async def test_an_account_without_a_roster_change_is_not_due(uow, given, clock) -> None:
    await certify(given, death=2)
    await given.done(request_forecast(uow, officer(), KEY))
    clock.advance(timedelta(hours=1))
    assert await forecasts_due(uow, debounce_seconds=5) == []


async def test_refreshing_a_due_account_publishes_the_months_still_owed(uow, given) -> None:
    grants = await certify(given, death=3)
    first, _ = await given.done(request_forecast(uow, officer(), KEY))
    await given.done(stop_counting(given.revoked(grants[0]), uow))  # from 1 July
    account = await uow.accounts.find(KEY)
    assert await uow.run(refresh_forecast(uow, account.id))
    [event] = uow.published(ForecastPublished)
    # The revoked certification still counts for January to June, when it was payable.
    assert (event.version, event.head_count, event.cause) == (2, 3, "roster_changed")
    catalogue = load_catalogue()
    second_half = sum(catalogue.amount_for(KEY.program_code, "death", f"2026-{m:02d}",
                                           KEY.division_code) for m in range(7, 13))
    assert second_half > 0
    assert event.total_fen == first.forecast.total_fen - second_half


async def test_refreshing_a_closed_account_only_marks_it_looked_at(uow, given, clock) -> None:
    year = AccountKey(KEY.program_code, 2025, KEY.division_code)
    await certify(given, death=1)
    await given.done(request_forecast(uow, officer(), year))
    await given.done(produce_statement(uow, officer(), year))
    await certify(given, death=1)
    account = await uow.accounts.find(year)
    assert not await uow.run(refresh_forecast(uow, account.id))
    assert uow.published() == []
    clock.advance(timedelta(minutes=1))
    assert account.id not in await forecasts_due(uow, debounce_seconds=5)
