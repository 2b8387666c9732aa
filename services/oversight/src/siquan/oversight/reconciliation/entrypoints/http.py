"""The auditor's API for accountability: findings (list, read, resolve), the duplicates
report (findings of the duplicate rules), holds (list,
place, lift), flags, the sweep's status, and the accountability report per program and period
as JSON or HTML. Every call needs the `auditor` role and stays within the auditor's
division."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from siquan.contracts.oversight_v1 import EvidenceReference, FindingCategory
from siquan.contracts.types import DivisionCode, Period, PersonKey, ProgramCode
from siquan.contracts.types import division_scope as division_prefix
from siquan.oversight.adapters.unit_of_work import snapshot
from siquan.oversight.entrypoints.units import Units
from siquan.oversight.reconciliation.adapters.backlog import BrokerBacklog
from siquan.oversight.reconciliation.adapters.findings import FindingQuery
from siquan.oversight.reconciliation.application import decisions
from siquan.oversight.reconciliation.application.reports import accountability_report
from siquan.oversight.reconciliation.application.sweep import SweepStatus
from siquan.oversight.reconciliation.domain.findings import (
    ACCOUNT_SHARED_OUTSIDE_HOUSEHOLD,
    CERTIFIED_IN_EXCLUSIVE_PROGRAMS,
    HOUSEHOLD_CERTIFIED_TWICE,
)
from siquan.oversight.reconciliation.entrypoints.html import render_report
from siquan.shared.auth import Officer, require_role
from siquan.shared.errors import NotFound
from siquan.shared.http_guard import Limit, Offset

router = APIRouter()
Auditor = Annotated[Officer, Depends(require_role("auditor"))]


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["confirmed", "dismissed"] = Field(
        description="confirmed: the breach happened; dismissed: it was not one")
    resolution: str = Field(min_length=1, max_length=2000, description="Why")


class Placing(BaseModel):
    """A hold on a person (`person_key`, optionally one program) or on a payment run
    (`run_id`): exactly one of the two."""

    model_config = ConfigDict(extra="forbid")
    person_key: PersonKey | None = Field(default=None, description="The person held")
    program_code: ProgramCode | None = Field(
        default=None, description="The program a person is held for; absent: every program")
    run_id: uuid.UUID | None = Field(default=None, description="The payment run held")
    reason: str = Field(min_length=1, max_length=2000, description="Why the hold is placed")
    evidence: list[EvidenceReference] = Field(
        min_length=1, max_length=20,
        description="References to what the hold rests on (1 to 20; no personal data)")

    @model_validator(mode="after")
    def _one_subject(self) -> Placing:
        if (self.person_key is None) == (self.run_id is None):
            raise ValueError("name either person_key or run_id")
        if self.run_id is not None and self.program_code is not None:
            raise ValueError("program_code is for a hold on a person")
        return self


class Lifting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, description="Why the hold is lifted")


@router.get("/findings")
async def list_findings(units: Units, officer: Auditor, category: FindingCategory | None = None,
                        status: Literal["open", "resolved"] | None = None,
                        rule: str | None = None, person_key: str | None = None,
                        officer_id: str | None = None, run_id: str | None = None,
                        limit: Limit = 100, offset: Offset = 0
                        ) -> list[dict[str, Any]]:
    query = FindingQuery(category=category, status=status, rule=rule,
                               person_key=person_key, officer_id=officer_id, run_id=run_id,
                               division_prefix=division_prefix(officer.division),
                               limit=limit, offset=offset)
    async with units.reading() as uow:
        return await uow.findings.find_findings(query)


DUPLICATE_RULES = (CERTIFIED_IN_EXCLUSIVE_PROGRAMS.name, HOUSEHOLD_CERTIFIED_TWICE.name,
                   ACCOUNT_SHARED_OUTSIDE_HOUSEHOLD.name)


@router.get("/duplicates")
async def list_duplicates(units: Units, officer: Auditor,
                          status: Literal["open", "resolved"] | None = None,
                          limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """The standing report of duplicates (重复享受), as findings within the auditor's
    division: persons certified in programs the policy declares exclusive, households
    certified twice for a per-household benefit, and accounts receiving for payees no
    household and no recorded agency links — each with its evidence, a page per rule."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with units.reading() as uow:
        for rule in DUPLICATE_RULES:
            found[rule] = await uow.findings.find_findings(FindingQuery(
                category=None, status=status, rule=rule, person_key=None, officer_id=None,
                run_id=None, division_prefix=division_prefix(officer.division),
                limit=limit, offset=offset))
    return {"duplicates": found, "counts": {rule: len(rows) for rule, rows in found.items()}}


@router.get("/findings/{finding_id}")
async def read_finding(finding_id: uuid.UUID, units: Units, officer: Auditor
                       ) -> dict[str, Any]:
    async with units.reading() as uow:
        found = await uow.findings.get_finding(str(finding_id))
    if found is None:
        raise NotFound(f"no finding {finding_id}")
    if found["division_code"] is not None:
        officer.check_scope(found["division_code"])
    return found


@router.post("/findings/{finding_id}/resolve")
async def resolve(finding_id: uuid.UUID, body: Resolution, units: Units, officer: Auditor
                  ) -> dict[str, Any]:
    async with units() as uow:
        return await decisions.resolve_finding(
            uow, finding_id=str(finding_id), officer=officer, outcome=body.outcome,
            resolution=body.resolution)


@router.get("/holds")
async def list_holds(units: Units, officer: Auditor, active: bool | None = None,
                     person_key: str | None = None, run_id: str | None = None,
                     limit: Limit = 100) -> list[dict[str, Any]]:
    async with units.reading() as uow:
        return await uow.findings.find_holds(
            active=active, person_key=person_key, run_id=run_id,
            division_prefix=division_prefix(officer.division), limit=limit)


@router.post("/holds", status_code=201)
async def place(body: Placing, units: Units, officer: Auditor) -> dict[str, Any]:
    """Hold the person's payments (of one program or all) until an auditor lifts the hold
    (`HoldPlaced`: disbursement's runs skip the person, and pay what was skipped as arrears
    after the lift), or hold a run (`RunHoldPlaced`: disbursement pays none of its unpaid
    payments until the lift). Published and signed by oversight."""
    async with units() as uow:
        if body.run_id is not None:
            return await decisions.place_run_hold(
                uow, officer=officer, run_id=str(body.run_id), reason=body.reason,
                evidence=tuple(body.evidence))
        assert body.person_key is not None
        return await decisions.place_hold(
            uow, officer=officer, person_key=body.person_key, program_code=body.program_code,
            reason=body.reason, evidence=tuple(body.evidence))


@router.post("/holds/{hold_id}/lift")
async def lift(hold_id: uuid.UUID, body: Lifting, units: Units, officer: Auditor
               ) -> dict[str, Any]:
    async with units() as uow:
        return await decisions.lift_hold(uow, hold_id=str(hold_id), officer=officer,
                                         reason=body.reason)


@router.get("/flags")
async def list_flags(units: Units, officer: Auditor, kind: str | None = None,
                     person_key: str | None = None, limit: Limit = 100
                     ) -> list[dict[str, Any]]:
    async with units.reading() as uow:
        return await uow.findings.find_flags(
            kind=kind, person_key=person_key,
            division_prefix=division_prefix(officer.division), limit=limit)


@router.get("/reconciliation/status")
async def status(request: Request, units: Units, _: Auditor) -> dict[str, Any]:
    """How far the sweep got and what still waits for a fact on another queue."""
    sweep: SweepStatus = request.app.state.reconciliation_sweep
    async with units.reading() as uow:
        pending_payments = await uow.settled.pending_count()
        pending_movements = await uow.funds.pending_count()
    return {"sweeps": sweep.sweeps, "raised_by_sweeps": sweep.raised,
            "last_sweep_started_at": (sweep.last_started_at.isoformat()
                                      if sweep.last_started_at else None),
            "payments_awaiting_certification": pending_payments,
            "movements_awaiting_run": pending_movements}


@router.get("/reconciliation/incomplete-evidence")
async def incomplete_evidence(
        units: Units, officer: Auditor,
        status: Literal["incomplete_evidence", "raised", "withdrawn"] | None
        = "incomplete_evidence",
        person_key: str | None = None, limit: Limit = 100, offset: Offset = 0
        ) -> list[dict[str, Any]]:
    """What a rule of absence found while oversight had not processed every message that
    could disprove it: not a finding, no hold, until the evidence is complete (then
    `raised` as a finding, or `withdrawn` because the evidence came)."""
    async with units.reading() as uow:
        return await uow.findings.find_awaiting(
            status=status, person_key=person_key,
            division_prefix=division_prefix(officer.division), limit=limit, offset=offset)


@router.get("/operations/dead-letters")
async def dead_letter_alert(request: Request, _: Auditor) -> dict[str, Any]:
    """Oversight's own failure, as an operational alert (never a finding): the dead letters
    waiting in its dead-letter queue and the messages still queued for it, counted now.
    `GET /dead-letters` lists them; the operator replays or discards them with
    `python -m siquan.shared.dead_letters`."""
    backlog: BrokerBacklog = request.app.state.backlog
    counts = await backlog.counts()
    return {"service": "oversight", "dead_letters_waiting": counts.dead_letters,
            "alert": bool(counts.dead_letters),
            "queued": counts.queued,
            "broker_reachable": counts.dead_letters is not None}


async def _report(units: Units, officer: Officer, program_code: str, period: str,
                  division_code: str | None) -> dict[str, Any]:
    division = division_code or officer.division
    officer.check_scope(division)
    async with snapshot(units) as uow:
        return await accountability_report(uow, program_code, period, division,
                                           division_prefix(division), now=uow.now(),
                                           config=uow.config)


@router.get("/reports/{program_code}/{period}/accountability")
async def report_json(program_code: ProgramCode, period: Period, units: Units,
                      officer: Auditor, division_code: DivisionCode | None = None
                      ) -> dict[str, Any]:
    return await _report(units, officer, program_code, period, division_code)


@router.get("/reports/{program_code}/{period}/accountability.html",
            response_class=HTMLResponse)
async def report_html(program_code: ProgramCode, period: Period, units: Units,
                      officer: Auditor, division_code: DivisionCode | None = None
                      ) -> HTMLResponse:
    found = await _report(units, officer, program_code, period, division_code)
    return HTMLResponse(render_report(found))
