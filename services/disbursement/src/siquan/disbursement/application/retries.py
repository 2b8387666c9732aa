"""Retrying a run's failed and returned payments once their accounts are fixed: a retry
run of the same program, period and division, paying again (same period, item and amount,
the corrected account) what `RetryOnlyToACorrectedAccount` allows, with control totals of
its own and its own `AllocationRequested` (fund custody funds each run id once). The
unique index on (person, program, period, item) still allows one live payment only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from siquan.disbursement.adapters import retries, roster, runs
from siquan.disbursement.application.runs import StartedRun, announce, reasons
from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.retry import RefusedPayment, plan_retry
from siquan.disbursement.domain.roster import Flag, account_change_flag
from siquan.shared.auth import Officer
from siquan.shared.outbox import Outbox


async def retry_run(pool: asyncpg.Pool, outbox: Outbox, officer: Officer, *, run_id: str,
                    now: datetime, flag_days: int = 30) -> StartedRun:
    async with pool.acquire() as conn, conn.transaction():
        source = await runs.get(conn, run_id)
        officer.check_scope(source.division_code)
        await runs.lock_roster(conn, source.program_code, source.period, source.division_code)
        refused = await retries.refused_payments(conn, run_id)
        payments, skipped = plan_retry(refused, source.period)
        if not payments:
            raise Refused(f"nothing of run {run_id} can be retried: {reasons(skipped)}"
                          if skipped else f"run {run_id} has no failed or returned payments")
        run = PaymentRun(
            id=str(uuid.uuid4()), program_code=source.program_code, period=source.period,
            division_code=source.division_code, policy_version=source.policy_version,
            payee_count=len(payments), total_fen=sum(p.amount_fen for p in payments),
            started_by=officer.id, started_at=now, kind="retry", retry_of=source.id)
        arrears = [p.amount_fen for p in payments if p.arrear]
        flags = _flags(refused, {p.person_key for p in payments}, now, flag_days)
        started = StartedRun(run, skipped, flags, len(arrears), sum(arrears))
        try:
            await roster.copy_payments(conn, run.id, run.program_code, payments,
                                       roster.PaymentIds())
        except asyncpg.UniqueViolationError as exc:
            raise Refused(f"another run is already paying some of run {run_id}'s "
                          "payments") from exc
        await runs.add(conn, run, skipped=skipped, flags=flags, arrears_count=len(arrears),
                       arrears_fen=sum(arrears))
        await announce(conn, outbox, started)
    return started


def _flags(refused: list[RefusedPayment], retried: set[str], now: datetime,
           days: int) -> list[Flag]:
    """A retry pays an account changed since the refusal: flag it like a run would."""
    flags: dict[str, Flag] = {}
    for payment in refused:
        if payment.person_key not in retried or payment.person_key in flags:
            continue
        flag = account_change_flag(
            payment.person_key, payment.certification_id,
            registered_at=payment.account_registered_at,
            previous_registered_at=payment.account_previous_registered_at,
            run_started_at=now, days=days)
        if flag is not None:
            flags[payment.person_key] = flag
    return list(flags.values())
