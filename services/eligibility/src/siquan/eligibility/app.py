"""Eligibility's composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from siquan.eligibility.entrypoints.http import router
from siquan.eligibility.settings import EligibilitySettings
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: EligibilitySettings | None = None) -> FastAPI:
    runtime = ServiceRuntime("eligibility", settings or EligibilitySettings(), MIGRATIONS)
    app = runtime.http_app("Siquan eligibility (资格确认)")
    app.include_router(router)
    return app
