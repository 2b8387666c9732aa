"""Starting a payment run and showing where it stands.

Starting freezes the roster (one payment row per payee and period owed, amounts from the
policy, arrears included), fixes the control totals and, in the same transaction, queues
`PaymentRunStarted` (with the skipped and the flagged) and `AllocationRequested`. Nothing
is sent to the bank until fund custody approves.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.adapters import roster, runs
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.amounts import amount_table, arrears_window
from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import Flag, Skip
from siquan.shared.auth import Officer
from siquan.shared.outbox import Outbox


@dataclass(frozen=True)
class RunRules:
    """Settings that shape a run: how far arrears reach back, how recent an account change
    must be to be flagged."""

    arrears_max_periods: int = 12
    account_change_flag_days: int = 30


@dataclass(frozen=True)
class StartedRun:
    run: PaymentRun
    skipped: Sequence[Skip]
    flags: Sequence[Flag]
    arrears_count: int
    arrears_fen: int


async def start_run(pool: asyncpg.Pool, outbox: Outbox, officer: Officer, *,
                    program_code: str, period: str, division_code: str, now: datetime,
                    rules: RunRules = RunRules()) -> StartedRun:
    officer.check_scope(division_code)
    catalogue = load_catalogue()
    amount_table(catalogue, program_code, period, division_code)  # refuse a bad period first
    async with pool.acquire() as conn, conn.transaction():
        await runs.lock_roster(conn, program_code, period, division_code)
        first = await runs.first_regular_period(conn, program_code, division_code)
        table = amount_table(catalogue, program_code, period, division_code,
                             arrears_window(period, first, rules.arrears_max_periods))
        run_id = str(uuid.uuid4())
        try:
            frozen = await roster.freeze(conn, roster.RosterQuery(
                run_id, program_code, division_code, table, now,
                rules.account_change_flag_days))
        except asyncpg.UniqueViolationError as exc:
            raise Refused("another run is already paying some of these persons for "
                          f"{program_code} {period}") from exc
        if not frozen.payee_count:
            raise Refused(f"nobody to pay for {program_code} {period} in {division_code}: "
                          f"{reasons(frozen.skipped)}")
        run = PaymentRun(id=run_id, program_code=program_code, period=period,
                         division_code=division_code, policy_version=table.run.policy_version,
                         payee_count=frozen.payee_count, total_fen=frozen.total_fen,
                         started_by=officer.id, started_at=now)
        started = StartedRun(run, frozen.skipped, frozen.flags, frozen.arrears_count,
                             frozen.arrears_fen)
        await runs.add(conn, run, skipped=frozen.skipped, flags=frozen.flags,
                       arrears_count=frozen.arrears_count, arrears_fen=frozen.arrears_fen)
        await announce(conn, outbox, started)
    return started


async def announce(conn: Connection, outbox: Outbox, started: StartedRun) -> None:
    """Queue `PaymentRunStarted` and `AllocationRequested` with the run's control totals."""
    run = started.run
    common: dict[str, Any] = {"run_id": run.id, "program_code": run.program_code,
                              "period": run.period, "division_code": run.division_code,
                              "payee_count": run.payee_count, "total_fen": run.total_fen}
    started_id = await outbox.add(conn, events.PaymentRunStarted(
        **common, started_by=run.started_by, retry_of=run.retry_of,
        arrears_count=started.arrears_count, arrears_fen=started.arrears_fen,
        skipped=tuple(events.SkippedPayee(person_key=s.person_key,
                                          certification_id=s.certification_id,
                                          reason=s.reason) for s in started.skipped),
        flags=tuple(events.FlaggedPayee(person_key=f.person_key,
                                        certification_id=f.certification_id,
                                        reason=f.reason,
                                        account_registered_at=f.registered_at)
                    for f in started.flags)),
        correlation_id=run.id)
    await outbox.add(conn, events.AllocationRequested(**common, fiscal_year=run.fiscal_year),
                     correlation_id=run.id, causation_id=started_id)


def reasons(skipped: Sequence[Skip]) -> str:
    if not skipped:
        return "no certification is active for the period"
    counts = Counter(s.reason for s in skipped)
    return "; ".join(f"{n} × {reason}" for reason, n in counts.most_common())


async def show_run(pool: asyncpg.Pool, officer: Officer, run_id: str) -> dict[str, Any]:
    async with pool.acquire() as conn:
        run = await runs.get(conn, run_id)
        officer.check_scope(run.division_code)
        totals = await runs.totals(conn, run_id)
        listed = await runs.listed(conn, run_id)
    statuses = ("settled", "failed", "cancelled", "pending")
    return {
        "run_id": run.id, "kind": run.kind, "retry_of": run.retry_of, "status": run.status,
        "program_code": run.program_code, "period": run.period,
        "division_code": run.division_code, "policy_version": run.policy_version,
        "allocation_id": run.allocation_id, "rejection_reason": run.rejection_reason,
        "control_totals": {"payee_count": run.payee_count, "total_fen": run.total_fen},
        "arrears": {"count": listed["arrears_count"], "amount_fen": listed["arrears_fen"]},
        "counts": {s: getattr(totals, f"{s}_count") for s in statuses},
        "amounts_fen": {s: getattr(totals, f"{s}_fen") for s in statuses},
        "returned": {"count": totals.returned_count, "amount_fen": totals.returned_fen,
                     "batches": listed["return_batches"]},
        "bank_settled_fen": totals.bank_settled_fen,
        "skipped": listed["skipped"], "flags": listed["flags"],
        "started_by": run.started_by, "started_at": run.started_at.isoformat(),
        "completed_at": run.completed_at.isoformat() if run.completed_at else None,
    }
