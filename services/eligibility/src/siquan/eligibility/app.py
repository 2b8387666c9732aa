"""Eligibility's composition root: the runtime with eligibility's unit of work, the handlers
of what oversight and public security report, the HTTP routers, and the loop that keeps
deadlines."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from siquan.eligibility.adapters.unit_of_work import EligibilityWork
from siquan.eligibility.application import objections, revocations
from siquan.eligibility.application.deadlines import keep_deadlines
from siquan.eligibility.application.ports import Terms
from siquan.eligibility.console import pages as console_pages
from siquan.eligibility.entrypoints import (
    case_changes_http,
    certifications_http,
    cycle_http,
    deaths_http,
    exports,
    households_http,
    http,
    policy_http,
    reconfirmation_http,
    roster_import_http,
)
from siquan.eligibility.settings import EligibilitySettings
from siquan.shared.documents.pdf import require_font
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
HANDLERS = (objections, revocations)


def create_app(settings: EligibilitySettings | None = None) -> FastAPI:
    settings = settings or EligibilitySettings.from_environment("eligibility")
    require_font(settings.pdf_font, "eligibility", settings.mode)
    runtime = ServiceRuntime(
        "eligibility", settings, MIGRATIONS,
        unit=EligibilityWork.factory(Terms.of(settings)),
        handlers=HANDLERS)

    async def deadlines() -> None:
        await keep_deadlines(runtime.units, settings.deadline_check_seconds)

    runtime.background(deadlines)
    app = runtime.http_app("Siquan eligibility (资格确认)")
    # Documents first: `/notices/{id}.pdf` before `/notices/{id}` takes the extension;
    # `/certifications/{id}/evidence` before `/certifications/{id}/{decision}`.
    for module in (exports, http, cycle_http, case_changes_http, certifications_http,
                   policy_http, deaths_http, reconfirmation_http, roster_import_http,
                   households_http):
        app.include_router(module.router)
    console_pages.install(app)
    return app
