"""What officers and auditors may look at: where a run stands, how many certifications of
a program are in force. Each reads in one (read-only) unit of work, within the officer's
division."""

from __future__ import annotations

from typing import Any

from siquan.disbursement.application.repositories import Work
from siquan.shared.auth import Officer


async def count_active(uow: Work, officer: Officer, program_code: str,
                       division_code: str) -> int:
    """Certifications of a program in the division in force today (by the service's clock)."""
    officer.check_scope(division_code)
    return await uow.certifications.count_active(program_code, division_code,
                                                 uow.clock.today())


async def show_run(uow: Work, officer: Officer, run_id: str) -> dict[str, Any]:
    run = await uow.runs.get(run_id)
    officer.check_scope(run.division_code)
    totals = await uow.payments.totals(run_id)
    listed = await uow.runs.listed(run_id)
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
        "holds": await uow.holds.on_run(run_id),
        "started_by": run.started_by, "started_at": run.started_at.isoformat(),
        "completed_at": run.completed_at.isoformat() if run.completed_at else None,
    }
