"""Which report figures each event moves. Events that carry no figure only enter the
audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.oversight.adapters import projections
from siquan.oversight.domain.reconciliation import RUN_STATUS_AFTER
from siquan.shared.database import Connection

Projector = Callable[[Connection, Any], Awaitable[None]]


async def _granted(conn: Connection, e: eligibility.CertificationGranted) -> None:
    await projections.grant_certification(conn, e.certification_id, e.program_code,
                                          e.division_code)


async def _revoked(conn: Connection, e: eligibility.CertificationRevoked) -> None:
    await projections.revoke_certification(conn, e.certification_id, e.program_code,
                                           e.division_code)


async def _allocated(conn: Connection, e: fund_custody.AllocationApproved) -> None:
    await projections.add_allocation(conn, e.allocation_id, e.run_id, e.amount_fen)


async def _settled(conn: Connection, e: disbursement.PaymentsSettled) -> None:
    await projections.add_chunk(conn, run_id=e.run_id, outcome="settled", chunk=e.chunk,
                                count=len(e.payments),
                                amount_fen=sum(p.amount_fen for p in e.payments))


async def _failed(conn: Connection, e: disbursement.PaymentsFailed) -> None:
    await projections.add_chunk(conn, run_id=e.run_id, outcome="failed", chunk=e.chunk,
                                count=len(e.payments),
                                amount_fen=sum(p.amount_fen for p in e.payments))


async def _settlement(conn: Connection, e: fund_custody.SettlementCompleted) -> None:
    await projections.settle_run(conn, e.run_id, e.paid_fen)


async def _nothing_more(conn: Connection, e: Any) -> None:
    """The run's status is all these events change."""


_PROJECTORS: dict[type[Event], Projector] = {
    eligibility.CertificationGranted: _granted,
    eligibility.CertificationRevoked: _revoked,
    fund_custody.AllocationApproved: _allocated,
    fund_custody.AllocationRejected: _nothing_more,
    fund_custody.SettlementCompleted: _settlement,
    disbursement.PaymentRunStarted: _nothing_more,
    disbursement.AllocationRequested: _nothing_more,
    disbursement.PaymentsSettled: _settled,
    disbursement.PaymentsFailed: _failed,
    disbursement.PaymentRunCompleted: _nothing_more,
}


async def project(conn: Connection, event: Event) -> None:
    projector = _PROJECTORS.get(type(event))
    if projector is None:
        return
    status = RUN_STATUS_AFTER.get(event.routing_key)
    if status is not None:  # every run event names its run, program, period and division
        run: Any = event
        await projections.touch_run(conn, run_id=run.run_id, program_code=run.program_code,
                                    period=run.period, division_code=run.division_code,
                                    status=status)
    await projector(conn, event)
