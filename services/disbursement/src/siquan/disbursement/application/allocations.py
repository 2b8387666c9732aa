"""Fund custody's answers about a run: an approved allocation lets the payer work the run
(after a NOTIFY wakes it), a rejected one leaves the run waiting for funds, a settlement is
recorded. An answer that does not match the run breaks a rule and is dead-lettered."""

from __future__ import annotations

import logging

from opentelemetry import propagate

from siquan.contracts.fund_custody_v1 import (
    AllocationApproved,
    AllocationRejected,
    SettlementCompleted,
)
from siquan.disbursement.adapters import runs
from siquan.disbursement.application.facts import event_of
from siquan.disbursement.domain.errors import Refused
from siquan.shared.consumer import Received, RuleBroken

log = logging.getLogger(__name__)
PAYER_CHANNEL = "siquan_disbursement_payer"


async def on_allocation_approved(r: Received) -> None:
    event = event_of(r, AllocationApproved)
    try:
        run = await runs.get(r.conn, event.run_id, for_update=True)
        changed = run.allocate(allocation_id=event.allocation_id,
                               program_code=event.program_code, period=event.period,
                               division_code=event.division_code, amount_fen=event.amount_fen)
    except Refused as exc:
        raise RuleBroken(str(exc)) from exc
    if changed:
        await runs.save(r.conn, run)
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        await runs.keep_trace_context(r.conn, run.id, carrier)
        await r.conn.execute("SELECT pg_notify($1, $2)", PAYER_CHANNEL, run.id)
        log.info("run %s allocated by %s", run.id, event.allocation_id)


async def on_allocation_rejected(r: Received) -> None:
    event = event_of(r, AllocationRejected)
    try:
        run = await runs.get(r.conn, event.run_id, for_update=True)
        run.reject(event.reason)
    except Refused as exc:
        raise RuleBroken(str(exc)) from exc
    await runs.save(r.conn, run)
    log.info("run %s waits for funds: %s", run.id, event.reason)


async def on_settlement_completed(r: Received) -> None:
    event = event_of(r, SettlementCompleted)
    if not await runs.record_fund_settlement(r.conn, event.run_id, event.paid_fen):
        raise RuleBroken(f"settlement for unknown run {event.run_id}")
