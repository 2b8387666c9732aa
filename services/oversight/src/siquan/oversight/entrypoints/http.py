"""Oversight's auditor API: verify the audit chain, query its entries, read the program
reports. Every call needs the `auditor` role; reports and entries are limited to the
auditor's division."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from siquan.contracts.types import DivisionCode, Period, ProgramCode
from siquan.contracts.types import division_scope as division_prefix
from siquan.oversight.adapters.audit_questions import EntryFilter, Page
from siquan.oversight.adapters.unit_of_work import snapshot
from siquan.oversight.application import queries
from siquan.oversight.domain import recovery
from siquan.oversight.domain.chain import AuditEntry, canonical_time
from siquan.oversight.domain.reconciliation import covers
from siquan.oversight.entrypoints.units import Units
from siquan.oversight.reconciliation.adapters.findings import FindingQuery
from siquan.oversight.reconciliation.application.reads import record_read
from siquan.shared.auth import Officer, require_role
from siquan.shared.errors import OutOfScope
from siquan.shared.http_guard import AfterSeq, Limit
from siquan.shared.purpose import Purpose

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
async def verify(units: Units, _: Auditor) -> dict[str, Any]:
    async with snapshot(units) as uow:
        return (await queries.verify_chain(uow)).as_dict()


@router.get("/audit/entries")
async def entries(units: Units, officer: Auditor, correlation_id: str | None = None,
                  message_type: str | None = None,
                  trace_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
                  after_seq: AfterSeq = 0, limit: Limit = 100) -> list[dict[str, Any]]:
    query = EntryFilter(correlation_id=correlation_id, message_type=message_type,
                        trace_id=trace_id, division_prefix=division_prefix(officer.division),
                        after_seq=after_seq, limit=limit)
    async with units.reading() as uow:
        return [_shown(entry) for entry in await queries.find_entries(uow, query)]


@router.get("/reports/{program_code}/{period}")
async def report(program_code: ProgramCode, period: Period, units: Units, officer: Auditor,
                 division_code: DivisionCode | None = None) -> dict[str, Any]:
    division = division_code or officer.division
    if not covers(officer.division, division):
        raise OutOfScope(f"officer {officer.id} acts for {officer.division}, "
                         f"not for division {division}")
    async with snapshot(units) as uow:
        found = await queries.program_report(uow, program_code, period, division)
    return found.as_dict()


# Everything about one beneficiary, application, payment run or officer: the audit
# entries (paged by `after_seq`) and the accountability findings and holds that concern it.

PageSize = Limit


async def _about(units: Units, officer: Officer, subject: str, key: str, after_seq: int,
                 limit: int, **finding_filter: Any) -> dict[str, Any]:
    scope = division_prefix(officer.division)
    page = Page(division_prefix=scope, after_seq=after_seq, limit=limit)
    async with snapshot(units) as uow:
        found = await uow.audit.about(subject, key, page)
        findings = await uow.findings.find_findings(replace(
            FindingQuery(division_prefix=scope, limit=1000), **finding_filter))
        holds = (await uow.findings.find_holds(
            active=None, person_key=key, division_prefix=scope, limit=1000)
            if subject == "person" else [])
    return {subject: key, "entries": [_shown(entry) for entry in found],
            "next_after_seq": found[-1].seq if len(found) == limit else None,
            "findings": findings, "holds": holds}


@router.get("/audit/persons/{person_key}")
async def about_person(person_key: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
                       units: Units, officer: Auditor, purpose: Purpose,
                       after_seq: AfterSeq = 0, limit: PageSize = 100) -> dict[str, Any]:
    """Everything about one person; the read is recorded with its purpose."""
    found = await _about(units, officer, "person", person_key, after_seq, limit,
                         person_key=person_key)
    async with units() as uow:
        await record_read(uow, officer, person_key, "audit_trail", purpose)
    return found


@router.get("/audit/applications/{application_id}")
async def about_application(application_id: Annotated[str, Path(max_length=64)],
                            units: Units, officer: Auditor, after_seq: AfterSeq = 0,
                            limit: PageSize = 100) -> dict[str, Any]:
    return await _about(units, officer, "application", application_id, after_seq, limit,
                        application_id=application_id)


@router.get("/audit/runs/{run_id}")
async def about_run(run_id: Annotated[str, Path(max_length=64)], units: Units,
                    officer: Auditor, after_seq: AfterSeq = 0,
                    limit: PageSize = 100) -> dict[str, Any]:
    return await _about(units, officer, "run", run_id, after_seq, limit, run_id=run_id)


@router.get("/audit/officers/{officer_id}")
async def about_officer(officer_id: Annotated[str, Path(max_length=64)], units: Units,
                        officer: Auditor, after_seq: AfterSeq = 0,
                        limit: PageSize = 100) -> dict[str, Any]:
    return await _about(units, officer, "officer", officer_id, after_seq, limit,
                        officer_id=officer_id)


@router.get("/recovery/{program_code}/{fiscal_year}")
async def recovery_report(program_code: ProgramCode,
                          fiscal_year: Annotated[int, Path(ge=2000, le=2100)], units: Units,
                          officer: Auditor, division_code: DivisionCode | None = None
                          ) -> dict[str, Any]:
    """Recovery (追回) of a program's fiscal year within the auditor's division (or the one
    asked for, in scope): each receivable tracked to closure (open, partly_repaid, repaid,
    offset, written_off) with its overpaid periods, the sums in fen, and the recovery rate
    — recovered (repaid + offset) over receivable — in basis points and as a decimal."""
    division = division_code or officer.division
    if not covers(officer.division, division):
        raise OutOfScope(f"officer {officer.id} acts for {officer.division}, "
                         f"not for division {division}")
    async with snapshot(units) as uow:
        tracked, unmatched = await uow.figures.tracked_receivables(
            program_code, fiscal_year, division_prefix(division))
    return recovery.recovery_report(program_code, fiscal_year, division_code, tracked,
                                    unmatched)
