"""Fund custody's composition root: the runtime with its unit of work and message handlers,
the forecast loop, the operator API."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from siquan.fund_custody import console
from siquan.fund_custody.adapters.unit_of_work import FundCustodyWork
from siquan.fund_custody.application import (
    allocations,
    certifications,
    recovery,
    returns,
    settlement,
)
from siquan.fund_custody.entrypoints import exports
from siquan.fund_custody.entrypoints.http import router
from siquan.fund_custody.entrypoints.loops import forecast_loop
from siquan.fund_custody.settings import FundCustodySettings
from siquan.shared import policy_store
from siquan.shared.documents.pdf import require_font
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
HANDLERS = (allocations, settlement, returns, certifications, recovery, policy_store)
"""The modules whose `@handles` handlers fund custody runs."""


def create_app(settings: FundCustodySettings | None = None) -> FastAPI:
    settings = settings or FundCustodySettings.from_environment("fund_custody")
    require_font(settings.pdf_font, "fund_custody", settings.mode)
    runtime = ServiceRuntime("fund_custody", settings, MIGRATIONS, unit=FundCustodyWork,
                             handlers=HANDLERS)
    runtime.background(partial(forecast_loop, runtime.units,
                               settings.forecast_debounce_seconds, runtime.policies.load))
    app = runtime.http_app("Siquan fund custody (资金管理)")
    # Documents first: `/statements/…/{division}.pdf` before `/statements/…/{division}`.
    app.include_router(exports.router)
    app.include_router(router)
    console.install(app)
    return app
