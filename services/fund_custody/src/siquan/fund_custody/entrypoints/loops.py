"""Fund custody's background loop: forecast again the accounts whose roster changed. Each
tick reads which accounts are due in a read-only unit of work, then forecasts each in a
unit of work of its own (its account locked), so instances running the same loop take
turns on an account and the second finds nothing changed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from siquan.fund_custody.adapters.unit_of_work import FundCustodyWork
from siquan.fund_custody.application.forecasts import forecasts_due, refresh_forecast
from siquan.shared.unit_of_work import UnitsOfWork


async def refresh_due_forecasts(units: UnitsOfWork[FundCustodyWork],
                                debounce_seconds: float,
                                policies: Callable[[], Awaitable[None]] | None = None) -> int:
    """One tick; how many accounts were due. With due accounts, `policies` first loads the
    published policy versions (a version makes forecasts due in the transaction that kept
    it, possibly before this instance heard of it)."""
    async with units.reading() as uow:
        due = await forecasts_due(uow, debounce_seconds)
    if due and policies is not None:
        await policies()
    for account_id in due:
        async with units() as uow:
            await refresh_forecast(uow, account_id)
    return len(due)


async def forecast_loop(units: UnitsOfWork[FundCustodyWork], debounce_seconds: float,
                        policies: Callable[[], Awaitable[None]] | None = None) -> None:
    pause = min(debounce_seconds, 1.0)
    while True:
        await refresh_due_forecasts(units, debounce_seconds, policies)
        await asyncio.sleep(pause)
