"""Fund custody's answers about a run: an approved allocation releases the run to the payers
(woken at commit), a rejected one leaves it waiting for funds, a settlement is recorded.
An answer that does not match its run breaks a rule and is dead-lettered. A rejection
that arrives after the approval is an older answer and changes nothing."""

from __future__ import annotations

import logging

from opentelemetry import propagate

from siquan.contracts.fund_custody_v1 import (
    AllocationApproved,
    AllocationRejected,
    SettlementCompleted,
)
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.domain.errors import NotFound, Refused
from siquan.shared.consumer import RuleBroken
from siquan.shared.registry import handles

log = logging.getLogger(__name__)


@handles(AllocationApproved)
async def release_run(event: AllocationApproved, uow: Work) -> None:
    try:
        run = await uow.runs.get(event.run_id, for_update=True)
        changed = run.allocate(allocation_id=event.allocation_id,
                               program_code=event.program_code, period=event.period,
                               division_code=event.division_code, amount_fen=event.amount_fen)
    except Refused as exc:
        raise RuleBroken(str(exc)) from exc
    if changed:
        await uow.runs.save(run)
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        await uow.runs.keep_trace_context(run.id, carrier)
        await uow.runs.wake_payers(run.id)
        log.info("run %s allocated by %s", run.id, event.allocation_id)


@handles(AllocationRejected)
async def wait_for_funds(event: AllocationRejected, uow: Work) -> None:
    try:
        run = await uow.runs.get(event.run_id, for_update=True)
    except NotFound as exc:
        raise RuleBroken(str(exc)) from exc
    if run.reject(event.reason):
        await uow.runs.save(run)
        log.info("run %s waits for funds: %s", run.id, event.reason)


@handles(SettlementCompleted)
async def record_settlement(event: SettlementCompleted, uow: Work) -> None:
    if not await uow.runs.record_fund_settlement(event.run_id, event.paid_fen, uow.now()):
        raise RuleBroken(f"settlement for unknown run {event.run_id}")
