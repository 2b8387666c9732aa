"""Fund custody's background loop: forecast again the accounts whose roster changed. Each
tick reads which accounts are due in a read-only unit of work, then forecasts each in a
unit of work of its own (its account locked), so instances running the same loop take
turns on an account and the second finds nothing changed."""

from __future__ import annotations

import asyncio

from siquan.fund_custody.adapters.unit_of_work import FundCustodyWork
from siquan.fund_custody.application.forecasts import forecasts_due, refresh_forecast
from siquan.shared.unit_of_work import UnitsOfWork


async def refresh_due_forecasts(units: UnitsOfWork[FundCustodyWork],
                                debounce_seconds: float) -> int:
    """One tick; how many accounts were due."""
    async with units.reading() as uow:
        due = await forecasts_due(uow, debounce_seconds)
    for account_id in due:
        async with units() as uow:
            await refresh_forecast(uow, account_id)
    return len(due)


async def forecast_loop(units: UnitsOfWork[FundCustodyWork], debounce_seconds: float) -> None:
    pause = min(debounce_seconds, 1.0)
    while True:
        await refresh_due_forecasts(units, debounce_seconds)
        await asyncio.sleep(pause)
