"""Starting a payment run and showing where it stands.

Starting freezes the roster (one payment row per payee and period owed, amounts from the
policy, arrears included, less what an open receivable of the household takes where the
policy allows offsets, cut into chunks for the payers), fixes the control totals and,
in the same unit of work, publishes `PaymentRunStarted` (with the skipped and the
flagged), `AllocationRequested` and a `RecoveryRecorded` (offset) per offset taken.
Nothing is sent to the bank until fund custody approves.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.application.recovery import record_offsets
from siquan.disbursement.application.repositories import AlreadyPaying, Work
from siquan.disbursement.domain.amounts import amount_table, arrears_window
from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import Flag, RosterQuery, Skip
from siquan.shared.auth import Officer
from siquan.shared.unit_of_work import Cause


@dataclass(frozen=True)
class RunRules:
    """Settings that shape a run: how far arrears reach back, how recent an account change
    must be to be flagged, how many payments a payer instructs together."""

    arrears_max_periods: int = 12
    top_up_max_periods: int = 240
    """How far back a top-up after a retroactive raise reaches: further than the arrears
    window (a raise is owed for every period it covers that was paid at the old
    standard), bounded only so a run never weighs more than twenty years of months."""
    account_change_flag_days: int = 30
    chunk_size: int = 5_000


@dataclass(frozen=True)
class StartPaymentRun:
    officer: Officer
    program_code: str
    period: str
    division_code: str
    rules: RunRules = RunRules()


@dataclass(frozen=True)
class StartedRun:
    run: PaymentRun
    skipped: Sequence[Skip]
    flags: Sequence[Flag]
    arrears_count: int
    arrears_fen: int


async def start_run(command: StartPaymentRun, uow: Work) -> StartedRun:
    program, period, division = command.program_code, command.period, command.division_code
    command.officer.check_scope(division)
    catalogue = load_catalogue()
    amount_table(catalogue, program, period, division)  # refuse a bad period first
    exclusive_with = catalogue.exclusive_with(program)
    await uow.runs.lock_roster(program, period, division, exclusive_with=exclusive_with)
    rules = command.rules
    first = await uow.runs.first_regular_period(program, division)
    table = amount_table(catalogue, program, period, division,
                         arrears_window(period, first, rules.arrears_max_periods))
    top_ups = amount_table(catalogue, program, period, division, arrears_window(
        period, first, max(rules.top_up_max_periods, rules.arrears_max_periods)))
    run_id, now = str(uuid.uuid4()), uow.clock.now()
    offset_allowed = catalogue.in_force(program, period_start(period), division).offset_allowed
    try:
        frozen = await uow.payments.freeze(RosterQuery(
            run_id, program, division, table, now, rules.account_change_flag_days,
            rules.chunk_size, per_household=catalogue.per_household(program),
            offset_allowed=offset_allowed,
            exclusive_with=exclusive_with, top_ups=top_ups))
    except AlreadyPaying as exc:
        raise Refused("another run is already paying some of these persons for "
                      f"{program} {period}") from exc
    if not frozen.payee_count and not frozen.offsets:
        raise Refused(f"nobody to pay for {program} {period} in {division}: "
                      f"{reasons(frozen.skipped)}")
    run = PaymentRun(id=run_id, program_code=program, period=period, division_code=division,
                     policy_version=table.run.policy_version,
                     payee_count=frozen.payee_count, total_fen=frozen.total_fen,
                     started_by=command.officer.id, started_at=now)
    started = StartedRun(run, frozen.skipped, frozen.flags, frozen.arrears_count,
                         frozen.arrears_fen)
    await uow.runs.add(run, skipped=frozen.skipped, flags=frozen.flags,
                       arrears_count=frozen.arrears_count, arrears_fen=frozen.arrears_fen)
    announce(uow, started)
    await record_offsets(uow, run, frozen.offsets)
    return started


def correlate(uow: Work, run_id: str, causation_id: str | None = None) -> None:
    """Every event about a run carries the run id as its correlation id, whatever work
    publishes it (an officer's request, a payer, the return watcher)."""
    uow.cause = Cause(run_id, causation_id)


def announce(uow: Work, started: StartedRun) -> None:
    """Publish `PaymentRunStarted` and `AllocationRequested` with the run's control totals."""
    run = started.run
    correlate(uow, run.id)
    common: dict[str, Any] = {"run_id": run.id, "program_code": run.program_code,
                              "period": run.period, "division_code": run.division_code,
                              "payee_count": run.payee_count, "total_fen": run.total_fen}
    started_id = uow.publish(events.PaymentRunStarted(
        **common, started_by=run.started_by, retry_of=run.retry_of, started_at=run.started_at,
        arrears_count=started.arrears_count, arrears_fen=started.arrears_fen,
        skipped=tuple(events.SkippedPayee(person_key=s.person_key,
                                          certification_id=s.certification_id,
                                          reason=s.reason) for s in started.skipped),
        flags=tuple(events.FlaggedPayee(person_key=f.person_key,
                                        certification_id=f.certification_id,
                                        reason=f.reason,
                                        account_registered_at=f.registered_at)
                    for f in started.flags)))
    correlate(uow, run.id, started_id)
    uow.publish(events.AllocationRequested(**common, fiscal_year=run.fiscal_year))


def reasons(skipped: Sequence[Skip]) -> str:
    if not skipped:
        return "no certification is active for the period"
    counts = Counter(s.reason for s in skipped)
    return "; ".join(f"{n} × {reason}" for reason, n in counts.most_common())
