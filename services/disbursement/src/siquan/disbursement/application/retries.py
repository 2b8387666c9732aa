"""Retrying a run's failed and returned payments once their accounts are fixed: a retry
run of the same program, period and division, paying again (same period, item and amount,
the corrected account) what `RetryOnlyToACorrectedAccount` allows, with control totals of
its own and its own `AllocationRequested` (fund custody funds each run id once). The
unique key on (person, program, period, item) still allows one live payment only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from siquan.disbursement.application.repositories import AlreadyPaying, Work
from siquan.disbursement.application.runs import StartedRun, announce, reasons
from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.retry import RefusedPayment, plan_retry
from siquan.disbursement.domain.roster import Flag, account_change_flag
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class RetryRun:
    officer: Officer
    run_id: str
    flag_days: int = 30
    chunk_size: int = 5_000


async def retry_run(command: RetryRun, uow: Work) -> StartedRun:
    source = await uow.runs.get(command.run_id)
    command.officer.check_scope(source.division_code)
    await uow.runs.lock_roster(source.program_code, source.period, source.division_code)
    refused = await uow.retries.refused(source.id)
    payments, skipped = plan_retry(refused, source.period)
    if not payments:
        raise Refused(f"nothing of run {source.id} can be retried: {reasons(skipped)}"
                      if skipped else f"run {source.id} has no failed or returned payments")
    now = uow.clock.now()
    run = PaymentRun(
        id=str(uuid.uuid4()), program_code=source.program_code, period=source.period,
        division_code=source.division_code, policy_version=source.policy_version,
        payee_count=len(payments), total_fen=sum(p.amount_fen for p in payments),
        started_by=command.officer.id, started_at=now, kind="retry", retry_of=source.id)
    arrears = [p.amount_fen for p in payments if p.arrear]
    flags = _flags(refused, {p.person_key for p in payments}, now, command.flag_days)
    started = StartedRun(run, skipped, flags, len(arrears), sum(arrears))
    try:
        await uow.payments.add(run.id, run.program_code, payments, command.chunk_size)
    except AlreadyPaying as exc:
        raise Refused(f"another run is already paying some of run {source.id}'s "
                      "payments") from exc
    await uow.runs.add(run, skipped=skipped, flags=flags, arrears_count=len(arrears),
                       arrears_fen=sum(arrears))
    announce(uow, started)
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
