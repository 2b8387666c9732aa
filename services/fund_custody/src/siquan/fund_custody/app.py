"""Fund custody's composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from siquan.fund_custody.entrypoints import consumers
from siquan.fund_custody.entrypoints.http import router
from siquan.fund_custody.settings import FundCustodySettings
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: FundCustodySettings | None = None) -> FastAPI:
    runtime = ServiceRuntime("fund_custody", settings or FundCustodySettings(), MIGRATIONS)
    consumers.register(runtime)
    app = runtime.http_app("Siquan fund custody (资金管理)")
    app.include_router(router)
    return app
