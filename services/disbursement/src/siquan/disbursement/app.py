"""Disbursement's composition root: the runtime, its event handlers, the payer working
allocated runs through the bank, and the operator API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from siquan.disbursement.adapters.simulated_bank import SimulatedBank
from siquan.disbursement.application.payer import Payer
from siquan.disbursement.application.ports import Bank
from siquan.disbursement.entrypoints.events import register_handlers
from siquan.disbursement.entrypoints.http import router
from siquan.disbursement.settings import DisbursementSettings
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: DisbursementSettings | None = None, *,
               bank: Bank | None = None) -> FastAPI:
    settings = settings or DisbursementSettings()
    runtime = ServiceRuntime("disbursement", settings, MIGRATIONS)
    register_handlers(runtime)
    bank = bank or SimulatedBank(settings.bank_dsn, failure_rate=settings.bank_failure_rate,
                                 latency_ms=settings.bank_latency_ms)

    async def pay() -> None:
        payer = Payer(runtime.pool, runtime.outbox, bank, chunk_size=settings.payment_chunk_size,
                      poll_seconds=settings.payment_poll_seconds)
        await payer.run()

    runtime.background(pay)
    app = runtime.http_app("Siquan disbursement (资金发放)")
    app.include_router(router)
    return app
