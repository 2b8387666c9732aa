"""The report figures each event moves: certifications counted, runs with their status,
allocations, settled and failed chunks (a settled payment the bank answered with a transfer
it had made earlier, under another payment id, moved no money and is not counted again),
settlements, receivables and their recoveries.
Events that carry no figure only enter the audit log. Every change commutes, so the queues
may bring them in any order."""

from __future__ import annotations

from typing import Any

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import disbursement_v2
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.oversight.application.ports import AuditUnit
from siquan.oversight.domain.reconciliation import RUN_STATUS_AFTER
from siquan.shared.registry import handles


@handles(eligibility.CertificationGranted)
async def count_certification(e: eligibility.CertificationGranted, uow: AuditUnit) -> None:
    uow.projections.certification(e.certification_id, e.program_code, e.division_code,
                                  revoked=False)


@handles(eligibility.CertificationRevoked)
async def uncount_certification(e: eligibility.CertificationRevoked, uow: AuditUnit
                                ) -> None:
    # A revocation seen first wins: the grant then changes nothing.
    uow.projections.certification(e.certification_id, e.program_code, e.division_code,
                                  revoked=True)


def _move(run: Any, uow: AuditUnit) -> None:
    """Every run event names its run, program, period and division."""
    uow.projections.run_moved(run.run_id, run.program_code, run.period, run.division_code,
                              RUN_STATUS_AFTER[run.routing_key])


@handles(disbursement.PaymentRunStarted, disbursement.AllocationRequested,
         fund_custody.AllocationRejected, disbursement.PaymentRunCompleted)
async def follow_run(e: Any, uow: AuditUnit) -> None:
    _move(e, uow)


@handles(fund_custody.AllocationApproved)
async def count_allocation(e: fund_custody.AllocationApproved, uow: AuditUnit) -> None:
    _move(e, uow)
    uow.projections.allocation(e.allocation_id, e.run_id, e.amount_fen)


@handles(disbursement.PaymentsSettled, disbursement.PaymentsFailed)
async def count_chunk(e: disbursement.PaymentsSettled | disbursement.PaymentsFailed,
                      uow: AuditUnit) -> None:
    _move(e, uow)
    if isinstance(e, disbursement.PaymentsSettled):
        # a transfer the bank made earlier under another payment id moved no money now
        moved = [p for p in e.payments if p.transferred_as is None]
        uow.projections.chunk(e.run_id, "settled", e.chunk, len(moved),
                              sum(p.amount_fen for p in moved))
    else:
        uow.projections.chunk(e.run_id, "failed", e.chunk, len(e.payments),
                              sum(p.amount_fen for p in e.payments))


@handles(fund_custody.SettlementCompleted)
async def count_settlement(e: fund_custody.SettlementCompleted, uow: AuditUnit) -> None:
    _move(e, uow)
    uow.projections.run_settled(e.run_id, e.paid_fen)


@handles(disbursement_v2.OverpaymentRecordedV2)
async def track_receivable(e: disbursement_v2.OverpaymentRecordedV2, uow: AuditUnit) -> None:
    periods: dict[str, int] = {}
    for payment in e.payments:
        periods[payment.period] = periods.get(payment.period, 0) + payment.amount_fen
    uow.projections.receivable(e.receivable_id, e.program_code, e.division_code,
                               e.fiscal_year, e.cause, e.total_fen, periods, e.recorded_at)


@handles(disbursement.RecoveryRecorded)
async def track_recovery(e: disbursement.RecoveryRecorded, uow: AuditUnit) -> None:
    uow.projections.recovery(e.recovery_id, e.receivable_id, e.program_code, e.division_code,
                             e.fiscal_year, e.kind, e.amount_fen, e.recorded_at)
