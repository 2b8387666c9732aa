"""Disbursement's composition root: the runtime with its unit of work and message handlers,
the payers working allocated runs through the bank, the watcher of the bank's returns,
the step that fingerprints accounts registered before accounts carried a fingerprint, and
the operator API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from siquan.disbursement import console
from siquan.disbursement.adapters.batch_file_bank import (
    BankFileFormat,
    BatchFileBank,
    CsvFormat,
    GbkFormat,
)
from siquan.disbursement.adapters.simulated_bank import BankBehaviour, SimulatedBank
from siquan.disbursement.adapters.unit_of_work import DisbursementWork
from siquan.disbursement.application import allocations, facts
from siquan.disbursement.application.fingerprints import backfill_fingerprints
from siquan.disbursement.application.payer import Payer
from siquan.disbursement.application.ports import Bank
from siquan.disbursement.application.returns import ReturnWatcher
from siquan.disbursement.entrypoints import exports, roster_import_http
from siquan.disbursement.entrypoints.http import router
from siquan.disbursement.settings import DisbursementSettings
from siquan.shared import policy_store
from siquan.shared.clock import Clock
from siquan.shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
RECENT_RUNS = 20
"""How many of the latest runs `siquan_payment_run_progress_ratio` shows (bounded labels)."""
_PROGRESS = """
SELECT r.run_id::text AS run_id, r.program_code, r.period, r.status, r.payee_count,
       COALESCE((SELECT sum(c.payee_count) FROM payment_chunks c
                  WHERE c.run_id = r.run_id AND c.done_at IS NOT NULL), 0) AS done
  FROM payment_runs r ORDER BY r.started_at DESC LIMIT $1"""
HANDLERS = (facts, allocations, policy_store)
BankFactory = Callable[[], Bank]


def bank_factory(settings: DisbursementSettings, clock: Clock) -> BankFactory:
    """A new gateway per user (each payer, the return watcher): each holds its own
    connections or file cache."""
    if settings.bank_adapter == "batch_file":
        file_format: BankFileFormat = (GbkFormat(settings.bank_file_key)
                                       if settings.bank_file_format == "gbk" else CsvFormat())
        return lambda: BatchFileBank(settings.bank_dir,
                                     result_timeout_s=settings.bank_result_timeout_seconds,
                                     settle_ms=settings.bank_file_settle_ms,
                                     file_format=file_format)
    behaviour = BankBehaviour(
        failure_rate=settings.bank_failure_rate,
        invalid_account_rate=settings.bank_invalid_account_rate,
        frozen_account_rate=settings.bank_frozen_account_rate,
        return_rate=settings.bank_return_rate, return_days=settings.bank_return_days,
        timeout_rate=settings.bank_timeout_rate, latency_ms=settings.bank_latency_ms)
    return lambda: SimulatedBank(settings.bank_dsn, behaviour, clock=clock)


def create_app(settings: DisbursementSettings | None = None, *,
               bank: BankFactory | None = None) -> FastAPI:
    settings = settings or DisbursementSettings.from_environment("disbursement")
    # each payer holds its NOTIFY listener, and a chunk's transaction while the bank
    # answers (a batch-file bank: until its results file comes, up to a minute)
    runtime = ServiceRuntime("disbursement", settings, MIGRATIONS, unit=DisbursementWork,
                             handlers=HANDLERS, held_connections=2 * settings.payment_workers)
    new_bank = bank or bank_factory(settings, runtime.clock)

    async def pay() -> None:
        await Payer(runtime.units, new_bank(),
                    poll_seconds=settings.payment_poll_seconds).run()

    async def watch_returns() -> None:
        await ReturnWatcher(runtime.units, new_bank(),
                            poll_seconds=settings.returns_poll_seconds,
                            lookback_days=settings.returns_lookback_days).run()

    progress = runtime.metrics.gauge(
        "siquan_payment_run_progress_ratio",
        "Share of a payment run's payees whose chunk is done (1 once the run completed), "
        "for the latest runs, by run")

    async def sample_run_progress() -> None:
        shown: set[tuple[str, str, str]] = set()
        while True:
            try:
                async with runtime.units.reading() as uow:
                    rows = await uow.conn.fetch(_PROGRESS, RECENT_RUNS)
                now = set()
                for r in rows:
                    labels = (r["run_id"], r["program_code"], r["period"])
                    ratio = 1.0 if r["status"] == "completed" \
                        else min(1.0, int(r["done"]) / r["payee_count"])
                    progress.set(ratio, run_id=labels[0], program_code=labels[1],
                                 period=labels[2])
                    now.add(labels)
                for gone in shown - now:
                    progress.forget(run_id=gone[0], program_code=gone[1], period=gone[2])
                shown = now
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("run progress sample skipped: %s", type(exc).__name__)
            await asyncio.sleep(settings.metrics_sample_seconds)

    async def fingerprint_accounts() -> None:
        await backfill_fingerprints(runtime.units, settings.person_key_secret)

    runtime.background(sample_run_progress)
    runtime.background(fingerprint_accounts)
    for _ in range(settings.payment_workers):
        runtime.background(pay)
    runtime.background(watch_returns)
    app = runtime.http_app("Siquan disbursement (资金发放)")
    app.include_router(exports.router)  # first: `/runs/{id}.xlsx` before `/runs/{id}`
    app.include_router(router)
    app.include_router(roster_import_http.router)
    console.install(app)
    return app
