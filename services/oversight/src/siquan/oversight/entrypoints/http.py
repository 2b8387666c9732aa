"""Oversight's auditor API: verify the audit chain, query its entries, read the program
reports. Every call needs the `auditor` role; reports and entries are limited to the
auditor's division."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from siquan.contracts.types import DivisionCode, Period, ProgramCode
from siquan.oversight.adapters.audit_log import EntryFilter
from siquan.oversight.application import queries
from siquan.oversight.domain.chain import AuditEntry, canonical_time
from siquan.oversight.domain.reconciliation import covers, division_prefix
from siquan.shared.auth import Officer, require_role
from siquan.shared.errors import OutOfScope
from siquan.shared.runtime import Runtime

router = APIRouter()


Auditor = Annotated[Officer, Depends(require_role("auditor"))]


def _shown(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API shows it: everything but the signature."""
    e = entry.envelope
    return {"seq": entry.seq, "message_id": e.message_id, "producer": e.producer,
            "message_type": e.message_type, "occurred_at": canonical_time(e.occurred_at),
            "correlation_id": e.correlation_id, "causation_id": e.causation_id,
            "trace_id": e.trace_id, "body": e.body,
            "received_at": canonical_time(e.received_at), "prev_hash": entry.prev_hash,
            "entry_hash": entry.entry_hash}


@router.get("/audit/verify")
async def verify(rt: Runtime, _: Auditor) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        return (await queries.verify_chain(conn)).as_dict()


@router.get("/audit/entries")
async def entries(rt: Runtime, officer: Auditor, correlation_id: str | None = None,
                  message_type: str | None = None,
                  trace_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
                  after_seq: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    query = EntryFilter(correlation_id=correlation_id, message_type=message_type,
                        trace_id=trace_id, division_prefix=division_prefix(officer.division),
                        after_seq=after_seq, limit=limit)
    async with rt.pool.acquire() as conn:
        return [_shown(entry) for entry in await queries.find_entries(conn, query)]


@router.get("/reports/{program_code}/{period}")
async def report(program_code: ProgramCode, period: Period, rt: Runtime, officer: Auditor,
                 division_code: DivisionCode | None = None) -> dict[str, Any]:
    division = division_code or officer.division
    if not covers(officer.division, division):
        raise OutOfScope(f"officer {officer.id} acts for {officer.division}, "
                         f"not for division {division}")
    async with rt.pool.acquire() as conn:
        found = await queries.program_report(conn, program_code, period, division)
    return found.as_dict()
