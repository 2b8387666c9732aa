"""三追究: reconciliation rules run on every event as it arrives, raising accountability
findings (and holds on suspected false claims) with their evidence.

`watch` runs, inside the transaction that logged the event, the rules that event can
break; `install` adds the auditor's routes and the sweep that finds what is missing after
a grace period or a deadline.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.contracts.public_security_v1 import DeathReported
from siquan.oversight.domain.envelope import moment_of
from siquan.oversight.reconciliation.application import (
    eligibility_rules,
    fund_rules,
    payment_rules,
)
from siquan.oversight.reconciliation.application.context import RuleConfig, Seen
from siquan.oversight.reconciliation.application.raising import Raiser
from siquan.oversight.reconciliation.application.sweep import Sweeper, SweepStatus, sweep_loop
from siquan.oversight.reconciliation.domain.timeliness import Target
from siquan.oversight.reconciliation.entrypoints.http import router
from siquan.oversight.settings import OversightSettings
from siquan.shared.clock import Clock, SystemClock
from siquan.shared.consumer import Received
from siquan.shared.runtime import ServiceRuntime

Rule = Callable[[Seen, Any], Awaitable[None]]

RULES_BY_EVENT: dict[type[Event], Rule] = {
    eligibility.ApplicationSubmitted: eligibility_rules.on_submitted,
    eligibility.ApplicationReviewed: eligibility_rules.on_reviewed,
    eligibility.CertificationGranted: eligibility_rules.on_granted,
    eligibility.CertificationRevoked: eligibility_rules.on_changed,
    eligibility.CertificationLapsed: eligibility_rules.on_changed,
    eligibility.CertificationSuspended: eligibility_rules.on_changed,
    eligibility.CertificationReinstated: eligibility_rules.on_changed,
    eligibility.CertificationRenewed: eligibility_rules.on_changed,
    DeathReported: eligibility_rules.on_death,
    disbursement.PayeeAccountRegistered: payment_rules.on_payee_account,
    disbursement.PaymentRunStarted: payment_rules.on_run_started,
    disbursement.AllocationRequested: payment_rules.on_allocation_requested,
    disbursement.PaymentsSettled: payment_rules.on_settled,
    disbursement.PaymentsReturned: payment_rules.on_returned,
    fund_custody.AllocationApproved: fund_rules.on_allocation_approved,
    fund_custody.SettlementCompleted: fund_rules.on_settlement,
    fund_custody.YearEndStatementPublished: fund_rules.on_year_end,
}


@dataclass
class _Installed:
    """The rules' settings and clock, set once by `install` (defaults until then)."""

    config: RuleConfig = field(default_factory=RuleConfig)
    clock: Clock = field(default_factory=SystemClock)


_installed = _Installed()


async def watch(received: Received) -> None:
    """Run the rules an event can break, in its transaction."""
    rule = RULES_BY_EVENT.get(type(received.event))
    if rule is None:
        return
    now = _installed.clock.now()
    occurred = moment_of(received.headers.get("x-siquan-occurred-at")) or now
    seen = Seen(Raiser(received.conn, received.publish, now),
                str(uuid.UUID(received.message_id)), occurred, _installed.config)
    await rule(seen, received.event)


def config_of(settings: OversightSettings) -> RuleConfig:
    return RuleConfig(
        account_change_window=timedelta(days=settings.account_change_flag_days),
        grace_seconds=settings.reconciliation_grace_seconds,
        omission_deadline_days=settings.omission_deadline_days,
        timeliness=Target(settings.timeliness_target_days, settings.timeliness_target_rate,
                          settings.timeliness_min_applications),
        sweep_seconds=settings.reconciliation_sweep_seconds,
        timeliness_seconds=settings.timeliness_check_seconds)


def install(runtime: ServiceRuntime, app: FastAPI, settings: OversightSettings) -> None:
    """Add the findings and holds routes and background loops."""
    config = config_of(settings)
    _installed.config, _installed.clock = config, runtime.clock
    status = SweepStatus()
    sweeper = Sweeper(lambda: runtime.pool, runtime.outbox, runtime.clock, config)
    runtime.background(sweep_loop(sweeper, status))
    app.state.reconciliation_config = config
    app.state.reconciliation_sweep = status
    app.include_router(router)
