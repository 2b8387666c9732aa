"""Oversight's composition root: every event of every exchange goes to the audit log."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from siquan.oversight import public, reconciliation
from siquan.oversight.application.checkpoints import checkpoint_loop
from siquan.oversight.application.recording import recorder
from siquan.oversight.entrypoints.http import router
from siquan.oversight.settings import OversightSettings
from siquan.shared.consumer import ANY_TYPE
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: OversightSettings | None = None) -> FastAPI:
    settings = settings or OversightSettings()
    runtime = ServiceRuntime("oversight", settings, MIGRATIONS)
    runtime.on(ANY_TYPE)(recorder(public.watch, reconciliation.watch))
    runtime.background(checkpoint_loop(lambda: runtime.pool, runtime.outbox,
                                       settings.checkpoint_seconds))
    app = runtime.http_app("Siquan oversight (社会监督)")
    app.include_router(router)
    public.install(runtime, app, settings)
    reconciliation.install(runtime, app, settings)
    return app
