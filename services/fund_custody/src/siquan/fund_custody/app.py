"""Fund custody's composition root."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI

from siquan.fund_custody.application.forecasts import refresh_due
from siquan.fund_custody.entrypoints import consumers
from siquan.fund_custody.entrypoints.http import router
from siquan.fund_custody.settings import FundCustodySettings
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: FundCustodySettings | None = None) -> FastAPI:
    settings = settings or FundCustodySettings()
    runtime = ServiceRuntime("fund_custody", settings, MIGRATIONS)
    consumers.register(runtime)

    async def forecast_loop() -> None:
        """Forecast again the accounts whose roster changed (debounced per account)."""
        pause = min(settings.forecast_debounce_seconds, 1.0)
        while True:
            await refresh_due(runtime.pool, runtime.outbox, settings.forecast_debounce_seconds)
            await asyncio.sleep(pause)

    runtime.background(forecast_loop)
    app = runtime.http_app("Siquan fund custody (资金管理)")
    app.include_router(router)
    return app
