"""Starting a payment run and showing where it stands.

Starting freezes the roster (one payment row per payee, amounts from the policy), fixes the
control totals and, in the same transaction, queues `PaymentRunStarted` and
`AllocationRequested`. Nothing is sent to the bank until fund custody approves.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import asyncpg

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.adapters import runs
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.periods import period_bounds
from siquan.disbursement.domain.roster import Roster, build_roster, policy_for
from siquan.shared.auth import Officer
from siquan.shared.outbox import Outbox


async def start_run(pool: asyncpg.Pool, outbox: Outbox, officer: Officer, *,
                    program_code: str, period: str, division_code: str) -> tuple[PaymentRun,
                                                                                 Roster]:
    officer.check_scope(division_code)
    policy = policy_for(load_catalogue(), program_code, period)
    start, end = period_bounds(period)
    async with pool.acquire() as conn, conn.transaction():
        await runs.lock_roster(conn, program_code, period, division_code)
        candidates = await runs.candidates(conn, program_code, period, division_code,
                                           start, end)
        roster = build_roster(candidates, policy, period)
        if not roster.payments:
            raise Refused(f"nobody to pay for {program_code} {period} in {division_code}: "
                          f"{_reasons(roster)}")
        run = PaymentRun(id=str(uuid.uuid4()), program_code=program_code, period=period,
                         division_code=division_code, policy_version=roster.policy_version,
                         payee_count=roster.payee_count, total_fen=roster.total_fen,
                         started_by=officer.id, started_at=datetime.now(UTC))
        try:
            await runs.add(conn, run, roster, [str(uuid.uuid4()) for _ in roster.payments])
        except asyncpg.UniqueViolationError as exc:
            raise Refused("another run is already paying some of these persons for "
                          f"{program_code} {period}") from exc
        await _announce(conn, outbox, run, roster)
    return run, roster


async def _announce(conn: Connection, outbox: Outbox, run: PaymentRun,
                    roster: Roster) -> None:
    common: dict[str, Any] = {"run_id": run.id, "program_code": run.program_code,
                              "period": run.period, "division_code": run.division_code,
                              "payee_count": run.payee_count, "total_fen": run.total_fen}
    started = await outbox.add(conn, events.PaymentRunStarted(
        **common, started_by=run.started_by, skipped=tuple(
            events.SkippedPayee(person_key=s.person_key, certification_id=s.certification_id,
                                reason=s.reason) for s in roster.skipped)),
        correlation_id=run.id)
    await outbox.add(conn, events.AllocationRequested(**common, fiscal_year=run.fiscal_year),
                     correlation_id=run.id, causation_id=started)


def _reasons(roster: Roster) -> str:
    if not roster.skipped:
        return "no certification is active for the period"
    counts = Counter(s.reason for s in roster.skipped)
    return "; ".join(f"{n} × {reason}" for reason, n in counts.most_common())


async def show_run(pool: asyncpg.Pool, officer: Officer, run_id: str) -> dict[str, Any]:
    async with pool.acquire() as conn:
        run = await runs.get(conn, run_id)
        officer.check_scope(run.division_code)
        totals = await runs.totals(conn, run_id)
        skipped = await runs.skipped(conn, run_id)
    return {
        "run_id": run.id, "status": run.status, "program_code": run.program_code,
        "period": run.period, "division_code": run.division_code,
        "policy_version": run.policy_version, "allocation_id": run.allocation_id,
        "rejection_reason": run.rejection_reason,
        "control_totals": {"payee_count": run.payee_count, "total_fen": run.total_fen},
        "counts": {"settled": totals.settled_count, "failed": totals.failed_count,
                   "cancelled": totals.cancelled_count, "pending": totals.pending_count},
        "amounts_fen": {"settled": totals.settled_fen, "failed": totals.failed_fen,
                        "cancelled": totals.cancelled_fen, "pending": totals.pending_fen},
        "skipped": skipped,
        "started_by": run.started_by, "started_at": run.started_at.isoformat(),
        "completed_at": run.completed_at.isoformat() if run.completed_at else None,
    }
