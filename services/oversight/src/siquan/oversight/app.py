"""Oversight's composition root: every event of every exchange goes to the audit log, then
to the handlers of its type (report projections, the public side, the rules); the
auditor's and the public's routes; the checkpoint, escalation and sweep loops."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from siquan.contracts.topology import subscriptions_of
from siquan.oversight import console
from siquan.oversight.adapters.unit_of_work import OversightUnits, OversightWork
from siquan.oversight.application import projection, recording
from siquan.oversight.application.checkpoints import checkpoint_loop
from siquan.oversight.entrypoints.http import router
from siquan.oversight.public.adapters.board_cache import BoardCache
from siquan.oversight.public.application import ledger, notices, own_statements
from siquan.oversight.public.application.handling import escalation_loop
from siquan.oversight.public.config import PublicConfig
from siquan.oversight.public.entrypoints import officer_http, public_http
from siquan.oversight.reconciliation.adapters.backlog import BrokerBacklog
from siquan.oversight.reconciliation.application import (
    bank_rules,
    duplicate_rules,
    eligibility_rules,
    fund_rules,
    payment_rules,
    reads,
)
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.oversight.reconciliation.application.sweep import Sweeper, SweepStatus, sweep_loop
from siquan.oversight.reconciliation.domain.timeliness import Target
from siquan.oversight.reconciliation.entrypoints.http import router as reconciliation_router
from siquan.oversight.reconciliation.entrypoints.reads_http import router as reads_router
from siquan.oversight.settings import OversightSettings
from siquan.shared import policy_store
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
HANDLERS = (recording, projection, notices, ledger, own_statements, eligibility_rules,
            payment_rules, duplicate_rules, fund_rules, bank_rules, reads, policy_store)
"""The modules whose `handles`/`audits` handlers the consumers run."""


def rule_config(settings: OversightSettings) -> RuleConfig:
    return RuleConfig(
        account_change_window=timedelta(days=settings.account_change_flag_days),
        grace_seconds=settings.reconciliation_grace_seconds,
        omission_deadline_days=settings.omission_deadline_days,
        timeliness=Target(settings.timeliness_target_days, settings.timeliness_target_rate,
                          settings.timeliness_min_applications),
        sweep_seconds=settings.reconciliation_sweep_seconds,
        timeliness_seconds=settings.timeliness_check_seconds,
        reads_per_officer_per_day=settings.reads_per_officer_per_day)


def create_app(settings: OversightSettings | None = None) -> FastAPI:
    settings = settings or OversightSettings.from_environment("oversight")
    runtime: ServiceRuntime[OversightWork] = ServiceRuntime(
        "oversight", settings, MIGRATIONS, handlers=HANDLERS,
        held_connections=1)  # the public board cache's NOTIFY listener
    units = OversightUnits(lambda: runtime.pool, runtime.outbox, runtime.clock,
                           rule_config(settings))
    runtime.units = units  # the units of one transaction share its batch (ADR 0006)
    sweep = SweepStatus()
    backlog = BrokerBacklog(
        "oversight", subscriptions_of("oversight"), settings.reconciliation_grace_seconds,
        runtime.metrics.gauge("siquan_dead_letters_waiting",
                              "Dead letters waiting in the service's dead-letter queue"))
    runtime.link.add("backlog counts", backlog.run)
    for loop in (checkpoint_loop(units, settings.checkpoint_seconds),
                 escalation_loop(units, settings.complaint_escalation_seconds),
                 sweep_loop(Sweeper(units, settings.timeliness_check_seconds, backlog),
                            sweep, runtime.clock, settings.reconciliation_sweep_seconds)):
        runtime.background(loop)
    board = BoardCache(lambda: runtime.pool)  # each instance its own, told of changes
    runtime.background(board.follow)
    app = runtime.http_app("Siquan oversight (社会监督)")
    app.state.public_board = board
    app.state.public_config = PublicConfig.from_settings(settings)
    app.state.reconciliation_sweep = sweep
    app.state.backlog = backlog
    for routes in (router, public_http.router, officer_http.router, reconciliation_router,
                   reads_router):
        app.include_router(routes)
    console.install(app)
    # The public pages' stylesheet, served by the service itself (no CDN).
    return app
