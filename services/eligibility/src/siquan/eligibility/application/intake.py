"""Survey and application (摸底调查, 填表申报): one application from the form, a township's
survey file in one transaction, and evidence files kept with their SHA-256.

Duplicate detection: a person holds at most one live application or certification per
program (refused, and guarded by unique indexes); live holdings in other programs are
reported as conflicts for the reviewers, not refused."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from siquan.contracts.household import HouseholdFacts
from siquan.contracts.types import mask_name, mask_resident_id
from siquan.eligibility.adapters import notices, outbox_batch, repository
from siquan.eligibility.adapters.repository import Holding, NewApplication
from siquan.eligibility.adapters.survey_files import read_survey
from siquan.eligibility.application import events
from siquan.eligibility.application.context import Context
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.household import assess
from siquan.eligibility.domain.survey import RowError, SurveyEntry, missing_columns, read_row
from siquan.shared.auth import Officer
from siquan.shared.person import person_key


@dataclass
class ImportReport:
    import_id: str
    sha256: str
    rows: int = 0
    accepted: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)


def _new(ctx: Context, officer: Officer, entry: SurveyEntry, import_id: str | None,
         at: datetime) -> NewApplication:
    application = Application(
        id=str(uuid.uuid4()), program_code=entry.program_code, category=entry.category,
        person_key=person_key(ctx.settings.person_key_secret, entry.resident_id),
        masked_name=mask_name(entry.name), masked_resident_id=mask_resident_id(
            entry.resident_id), division_code=entry.division_code,
        township_code=entry.township_code, eligible_from=entry.eligible_from,
        submitted_by=officer.id, submitted_at=at)
    facts = entry.facts.model_dump(mode="json") if entry.facts else None
    return NewApplication(application, entry.resident_id, facts, import_id)


def _conflicts(new: NewApplication, held: list[Holding]) -> list[dict[str, Any]]:
    return [{"program_code": h.program_code, "kind": h.kind, "id": h.id} for h in held
            if h.person_key == new.application.person_key
            and h.program_code != new.application.program_code]


async def submit_application(ctx: Context, officer: Officer, *, resident_id: str, name: str,
                             program_code: str, category: str, division_code: str,
                             eligible_from: date, facts: HouseholdFacts | None
                             ) -> tuple[str, list[dict[str, Any]]]:
    """Enter one application; its id and the person's holdings in other programs."""
    officer.check_scope(division_code)
    county, township = split_division(division_code)
    problems = assess(ctx.catalogue, program_code, category, eligible_from, county, facts)
    if problems:
        raise InvalidRequest("; ".join(f"{f}: {m}" for f, m in problems))
    new = _new(ctx, officer, SurveyEntry(0, resident_id, name, program_code, category, county,
                                         township, eligible_from, facts), None,
               ctx.clock.now())
    async with ctx.pool.acquire() as conn, conn.transaction():
        held = await repository.holdings(conn, [new.application.person_key])
        if any(h.program_code == program_code for h in held):
            raise Refused("this person already has a live application or certification for "
                          f"{program_code}")
        await repository.add_many(conn, [new])
        await ctx.outbox.add(conn, events.submitted(new.application))
    return new.application.id, _conflicts(new, held)


async def import_survey(ctx: Context, officer: Officer, filename: str, content: bytes
                        ) -> ImportReport:
    """Keep every good row, report every bad one by row and field."""
    report = ImportReport(str(uuid.uuid4()), hashlib.sha256(content).hexdigest())
    header, rows = read_survey(filename, content)
    missing = missing_columns(header)
    if missing:
        raise InvalidRequest(f"the survey lacks the columns {', '.join(missing)}")
    good: dict[tuple[str, str], tuple[int, NewApplication]] = {}
    now = ctx.clock.now()
    for number, raw in enumerate(rows, start=2):
        if not any((v or "").strip() for v in raw.values()):
            continue
        report.rows += 1
        if report.rows > ctx.settings.max_batch:
            raise InvalidRequest(f"a survey import takes at most {ctx.settings.max_batch} rows")
        _take(ctx, officer, report, good, number, raw, now)
    async with ctx.pool.acquire() as conn, conn.transaction():
        held = await repository.holdings(conn, [k for k, _ in good])
        taken = {(h.person_key, h.program_code) for h in held}
        kept = []
        for key, (number, new) in good.items():
            if key in taken:
                report.errors.append(RowError(number, "resident_id", "this person already has "
                                     f"a live application or certification for {key[1]}"))
                continue
            kept.append(new)
            if conflicts := _conflicts(new, held):
                report.conflicts.append({"row": number, "application_id": new.application.id,
                                         "holds": conflicts})
        report.accepted = [n.application.id for n in kept]
        await notices.add_import(conn, import_id=report.import_id, filename=filename,
                                 sha256=report.sha256, rows=report.rows,
                                 accepted=len(kept), by=officer.id, at=now)
        await repository.add_many(conn, kept)
        await outbox_batch.add_many(conn, ctx.outbox, [
            events.submitted(n.application, report.import_id) for n in kept])
    report.errors.sort(key=lambda e: e.row)
    return report


def _take(ctx: Context, officer: Officer, report: ImportReport,
          good: dict[tuple[str, str], tuple[int, NewApplication]], number: int,
          raw: dict[str, str], now: datetime) -> None:
    entry = read_row(number, raw, ctx.catalogue)
    if isinstance(entry, list):
        report.errors.extend(entry)
        return
    scope = entry.township_code or entry.division_code
    if not officer.covers(scope):
        report.errors.append(RowError(number, "division_code", f"officer {officer.id} acts "
                                      f"for {officer.division}, not for {scope}"))
        return
    new = _new(ctx, officer, entry, report.import_id, now)
    key = (new.application.person_key, new.application.program_code)
    if key in good:
        report.errors.append(RowError(number, "resident_id", "the same person and program "
                                      f"appear already in row {good[key][0]}"))
        return
    good[key] = (number, new)


async def add_evidence(ctx: Context, officer: Officer, application_id: str, *, kind: str,
                       filename: str, content_type: str, content: bytes) -> dict[str, Any]:
    if len(content) > ctx.settings.evidence_max_bytes:
        raise InvalidRequest(f"evidence files are at most {ctx.settings.evidence_max_bytes} "
                             "bytes")
    if not content:
        raise InvalidRequest("the evidence file is empty")
    digest = hashlib.sha256(content).hexdigest()
    evidence_id = str(uuid.uuid4())
    async with ctx.pool.acquire() as conn, conn.transaction():
        application = await repository.get(conn, application_id, for_update=True)
        officer.check_scope(application.scope)
        if not application.live:
            raise Refused(f"application {application_id} is {application.status}; evidence "
                          "is added while it is under review")
        await notices.add_evidence(conn, evidence_id=evidence_id, application_id=application_id,
                                   kind=kind, filename=filename, content_type=content_type,
                                   content=content, sha256=digest, by=officer.id,
                                   at=ctx.clock.now())
    return {"evidence_id": evidence_id, "sha256": digest, "size": len(content)}
