"""What officers and auditors may look at: where a run stands, how many certifications of
a program are in force. Each reads in one (read-only) unit of work, within the officer's
division."""

from __future__ import annotations

from typing import Any

from siquan.contracts.types import division_scope
from siquan.disbursement.application.repositories import Work
from siquan.shared.auth import Officer

_COUNTED = ("paid", "returned", "failed", "cancelled", "pending")


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
    disputed = await uow.payments.disputed(run_id)
    statuses = ("settled", "failed", "cancelled", "pending")
    return {
        "run_id": run.id, "kind": run.kind, "retry_of": run.retry_of, "status": run.status,
        "program_code": run.program_code, "period": run.period,
        "division_code": run.division_code, "policy_version": run.policy_version,
        "allocation_id": run.allocation_id, "rejection_reason": run.rejection_reason,
        "control_totals": {"payee_count": run.payee_count, "total_fen": run.total_fen},
        "arrears": {"count": listed["arrears_count"], "amount_fen": listed["arrears_fen"]},
        "offsets": {"count": listed["offset_count"], "amount_fen": listed["offset_fen"]},
        "counts": {s: getattr(totals, f"{s}_count") for s in statuses},
        "amounts_fen": {s: getattr(totals, f"{s}_fen") for s in statuses},
        "returned": {"count": totals.returned_count, "amount_fen": totals.returned_fen,
                     "batches": listed["return_batches"]},
        "bank_settled_fen": totals.bank_settled_fen,
        # pending payments the bank answered otherwise than instructed: they wait for its
        # corrected results (docs/BANK_FILES.md)
        "awaiting_bank_correction": {"count": disputed.count,
                                     "amount_fen": disputed.amount_fen,
                                     "batches": list(disputed.batches)},
        "skipped": listed["skipped"], "flags": listed["flags"],
        "holds": await uow.holds.on_run(run_id),
        "started_by": run.started_by, "started_at": run.started_at.isoformat(),
        "completed_at": run.completed_at.isoformat() if run.completed_at else None,
    }


async def search_runs(uow: Work, officer: Officer, *, program_code: str | None = None,
                      period: str | None = None, status: str | None = None,
                      division_code: str | None = None, limit: int = 100, offset: int = 0
                      ) -> dict[str, Any]:
    """The runs within the officer's division (or the one of it asked for), latest first,
    with their payments counted and summed by outcome."""
    if division_code is not None:
        officer.check_scope(division_code)
    prefix = division_code or division_scope(officer.division)
    total, rows = await uow.runs.search(program_code=program_code, period=period,
                                        status=status, division_prefix=prefix, limit=limit,
                                        offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "runs": [{
        "run_id": r["run_id"], "kind": r["kind"], "retry_of": r["retry_of"],
        "program_code": r["program_code"], "period": r["period"],
        "division_code": r["division_code"], "status": r["status"],
        "control_totals": {"payee_count": r["payee_count"], "total_fen": r["total_fen"]},
        "counts": {"payments": int(r["payments_count"] or 0),
                   **{s: int(r[f"{s}_count"] or 0) for s in _COUNTED},
                   "skipped": r["skipped_count"]},
        "amounts_fen": {s: int(r[f"{s}_fen"] or 0) for s in _COUNTED},
        "started_at": r["started_at"].isoformat(),
        "completed_at": r["completed_at"].isoformat() if r["completed_at"] else None,
    } for r in rows]}
