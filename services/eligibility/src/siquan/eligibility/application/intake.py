"""Survey and application (摸底调查, 填表申报): one application from the form, a township's
survey file in one unit of work, and evidence files kept with their SHA-256.

Duplicate detection: a person holds at most one live application or certification per
program (refused, and guarded by unique indexes); live holdings in other programs are
reported as conflicts for the reviewers, not refused — except a certification in a program
the policy declares exclusive with the one applied for (`exclusive_with`), which refuses
the application with the reason. A person public security reported dead is refused."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from siquan.contracts.household import HouseholdFacts
from siquan.contracts.policy import PolicyCatalogue
from siquan.contracts.types import mask_name, mask_resident_id
from siquan.eligibility.adapters.evidence_archives import EntryError, read_archive
from siquan.eligibility.adapters.survey_files import read_survey
from siquan.eligibility.application import events, households
from siquan.eligibility.application.ports import Holding, NewApplication, NewEvidence, Work
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.household import assess, incomplete
from siquan.eligibility.domain.survey import (
    RegisterFacts,
    RowError,
    SurveyEntry,
    missing_columns,
    read_row,
)
from siquan.shared.auth import Officer
from siquan.shared.person import person_key


@dataclass(frozen=True)
class SubmitApplication:
    officer: Officer
    resident_id: str
    name: str
    program_code: str
    category: str
    division_code: str
    eligible_from: date
    facts: HouseholdFacts | None = None
    contact_phone: str | None = None


@dataclass(frozen=True)
class ImportSurvey:
    officer: Officer
    filename: str
    content: bytes
    progress: Callable[[int], Awaitable[None]] | None = None
    """Told the number of rows checked after each row (the console's progress bar)."""


@dataclass(frozen=True)
class AddEvidence:
    officer: Officer
    application_id: str
    kind: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class FileEvidenceArchive:
    """A ZIP of scans with a manifest naming each one's application and kind
    (`adapters.evidence_archives`)."""

    officer: Officer
    content: bytes


@dataclass
class ImportReport:
    import_id: str
    sha256: str
    rows: int = 0
    accepted: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)


def _new(uow: Work, officer: Officer, entry: SurveyEntry, import_id: str | None,
         at: datetime) -> NewApplication:
    application = Application(
        id=str(uuid.uuid4()), program_code=entry.program_code, category=entry.category,
        person_key=person_key(uow.terms.person_key_secret, entry.resident_id),
        masked_name=mask_name(entry.name), masked_resident_id=mask_resident_id(
            entry.resident_id), division_code=entry.division_code,
        township_code=entry.township_code, eligible_from=entry.eligible_from,
        submitted_by=officer.id, submitted_at=at)
    facts = entry.facts.model_dump(mode="json") if entry.facts else None
    return NewApplication(application, entry.resident_id, facts, import_id)


def exclusive_refusal(policies: PolicyCatalogue, program_code: str, held: list[Holding]
                      ) -> str | None:
    """Why the person may not apply for `program_code`: a certification they hold (`held`:
    their own holdings) in a program the policy declares exclusive with it (None: nothing
    excludes it)."""
    exclusive = policies.exclusive_with(program_code)
    clash = sorted({h.program_code for h in held
                    if h.kind == "certification" and h.program_code in exclusive})
    if not clash:
        return None
    return (f"this person is certified in {', '.join(clash)}, which the policy declares "
            f"exclusive with {program_code}")


def holdings_by_person(held: list[Holding]) -> dict[str, list[Holding]]:
    """A batch's holdings grouped by person: each application looks at its own."""
    grouped: dict[str, list[Holding]] = defaultdict(list)
    for h in held:
        grouped[h.person_key].append(h)
    return grouped


def _conflicts(new: NewApplication, held: list[Holding]) -> list[dict[str, Any]]:
    return [{"program_code": h.program_code, "kind": h.kind, "id": h.id} for h in held
            if h.program_code != new.application.program_code]


async def submit_application(command: SubmitApplication, uow: Work
                             ) -> tuple[str, list[dict[str, Any]]]:
    """Enter one application; its id and the person's holdings in other programs."""
    c = command
    c.officer.check_scope(c.division_code)
    county, township = split_division(c.division_code)
    person = person_key(uow.terms.person_key_secret, c.resident_id)
    held = await uow.applications.holdings([person])
    # before the criteria: a program the person may not hold beside another is refused
    # for that reason, whatever the facts say
    if excluded := exclusive_refusal(uow.policies, c.program_code, held):
        raise Refused(excluded)
    # a registered household member's application is assessed on the register's facts;
    # a per-household program's applicant must be one
    registered = await households.register_facts(uow, [c.resident_id])
    facts = registered(c.resident_id, c.facts)
    problems = assess(uow.policies, c.program_code, c.category, c.eligible_from, county,
                      facts, c.resident_id, in_register=registered.member(c.resident_id))
    if missing := incomplete(problems):
        raise InvalidRequest(f"the application is incomplete: {c.program_code} needs "
                             f"{', '.join(missing)}", errors=_items(problems, "missing"))
    if problems:
        raise InvalidRequest("; ".join(f"{f}: {m}" for f, m in problems),
                             errors=_items(problems, "criterion"))
    new = _new(uow, c.officer, SurveyEntry(0, c.resident_id, c.name, c.program_code,
                                           c.category, county, township, c.eligible_from,
                                           facts), None, uow.now())
    key = new.application.person_key
    if any(h.program_code == c.program_code for h in held):
        raise Refused("this person already has a live application or certification for "
                      f"{c.program_code}")
    if died := (await uow.deaths.of([key])).get(key):
        raise Refused(f"this person is recorded dead (died on {died})")
    await uow.applications.add([new])
    # the phone is not kept here: it travels once, to oversight, which sends the codes
    uow.publish(events.submitted(new.application, contact_phone=c.contact_phone))
    return new.application.id, _conflicts(new, held)


def _items(problems: list[tuple[str, str]], kind: str) -> list[dict[str, str]]:
    return [{"field": field, "msg": message, "type": kind} for field, message in problems]


async def import_survey(command: ImportSurvey, uow: Work) -> ImportReport:
    """Keep every good row, report every bad one by row and field."""
    report = ImportReport(str(uuid.uuid4()), hashlib.sha256(command.content).hexdigest())
    good = await _read(command, uow, report)
    keys = [k for k, _ in good]
    held = await uow.applications.holdings(keys)
    taken = {(h.person_key, h.program_code) for h in held}
    own = holdings_by_person(held)
    dead = await uow.deaths.of(keys)
    kept = []
    for key, (number, new) in good.items():
        if key in taken:
            report.errors.append(RowError(number, "resident_id", "this person already has "
                                 f"a live application or certification for {key[1]}"))
        elif excluded := exclusive_refusal(uow.policies, key[1], own.get(key[0], [])):
            report.errors.append(RowError(number, "program_code", excluded))
        elif key[0] in dead:
            report.errors.append(RowError(number, "resident_id", "this person is recorded "
                                          f"dead (died on {dead[key[0]]})"))
        else:
            kept.append(new)
            if conflicts := _conflicts(new, own.get(key[0], [])):
                report.conflicts.append({"row": number, "application_id": new.application.id,
                                         "holds": conflicts})
    report.accepted = [n.application.id for n in kept]
    await uow.survey_imports.add(import_id=report.import_id, filename=command.filename,
                                 sha256=report.sha256, rows=report.rows, accepted=len(kept),
                                 by=command.officer.id, at=uow.now())
    await uow.applications.add(kept)
    for new in kept:
        uow.publish(events.submitted(new.application, report.import_id))
    report.errors.sort(key=lambda e: e.row)
    return report


Good = dict[tuple[str, str], tuple[int, NewApplication]]


async def _read(command: ImportSurvey, uow: Work, report: ImportReport) -> Good:
    """The good rows by (person, program); bad rows go to the report."""
    header, rows = read_survey(command.filename, command.content)
    missing = missing_columns(header)
    if missing:
        raise InvalidRequest(f"the survey lacks the columns {', '.join(missing)}")
    numbered = [(number, raw) for number, raw in enumerate(rows, start=2)
                if any((v or "").strip() for v in raw.values())]
    if len(numbered) > uow.terms.max_batch:
        raise InvalidRequest(f"a survey import takes at most {uow.terms.max_batch} rows")
    # a registered household member's row is assessed on the register's facts, as an
    # application is (`households.application_facts`)
    registered = await households.register_facts(
        uow, [(raw.get("resident_id") or "").strip() for _, raw in numbered])
    good: Good = {}
    now = uow.now()
    for number, raw in numbered:
        report.rows += 1
        _take(uow, command.officer, report, good, number, raw, now, registered)
        if command.progress is not None:
            await command.progress(report.rows)
    return good


def _take(uow: Work, officer: Officer, report: ImportReport, good: Good, number: int,
          raw: dict[str, str], now: datetime, registered: RegisterFacts) -> None:
    entry = read_row(number, raw, uow.policies, registered)
    if isinstance(entry, list):
        report.errors.extend(entry)
        return
    scope = entry.township_code or entry.division_code
    if not officer.covers(scope):
        report.errors.append(RowError(number, "division_code", f"officer {officer.id} acts "
                                      f"for {officer.division}, not for {scope}"))
        return
    new = _new(uow, officer, entry, report.import_id, now)
    key = (new.application.person_key, new.application.program_code)
    if key in good:
        report.errors.append(RowError(number, "resident_id", "the same person and program "
                                      f"appear already in row {good[key][0]}"))
        return
    good[key] = (number, new)


def check_file(content: bytes, max_bytes: int) -> None:
    """An evidence file's own checks, wherever it is filed: not empty, not too large."""
    if len(content) > max_bytes:
        raise InvalidRequest(f"evidence files are at most {max_bytes} bytes")
    if not content:
        raise InvalidRequest("the evidence file is empty")


async def add_evidence(command: AddEvidence, uow: Work) -> dict[str, Any]:
    c = command
    check_file(c.content, uow.terms.evidence_max_bytes)
    application = await uow.applications.get(c.application_id, for_update=True)
    c.officer.check_scope(application.scope)
    if not application.live:
        raise Refused(f"application {c.application_id} is {application.status}; evidence "
                      "is added while it is under review")
    digest = hashlib.sha256(c.content).hexdigest()
    evidence_id = str(uuid.uuid4())
    await uow.evidence.add(evidence_id=evidence_id, application_id=application.id,
                           kind=c.kind, filename=c.filename, content_type=c.content_type,
                           content=c.content, sha256=digest, by=c.officer.id, at=uow.now())
    return {"evidence_id": evidence_id, "sha256": digest, "size": len(c.content)}


def evidence_kinds(policies: PolicyCatalogue, program_code: str, category: str) -> set[str]:
    """The kinds of document any version of the program names for the category: those an
    archive may file (a kind no version asks for is a manifest mistake)."""
    kinds: set[str] = set()
    for version in policies.versions:
        if version.program_code == program_code:
            try:
                kinds.update(version.required_evidence(category))
            except KeyError:
                continue
    return kinds


async def file_evidence_archive(command: FileEvidenceArchive, uow: Work) -> dict[str, Any]:
    """File every document of the archive as `add_evidence` files one, in one unit of work:
    all of them, or none with every bad entry named (422). A document already on file for
    the application under the same kind (same SHA-256) is not kept twice: sending the same
    archive again stores nothing and answers with the same evidence ids."""
    entries, errors = read_archive(command.content, max_bytes=uow.terms.evidence_max_bytes,
                                   max_entries=uow.terms.max_batch)
    if not entries and not errors:
        raise InvalidRequest("the evidence archive's manifest names no documents")
    found = await uow.applications.find_many(sorted({e.application_id for e in entries}),
                                             for_update=True)
    officer = command.officer
    allowed: dict[tuple[str, str], set[str]] = {}
    for e in entries:
        application = found.get(e.application_id)
        if application is None:
            errors.append(EntryError(e.row, "application_id", "not_found",
                                     "no such application"))
        elif not officer.covers(application.scope):
            errors.append(EntryError(e.row, "application_id", "out_of_scope",
                                     f"officer {officer.id} acts for {officer.division}, "
                                     "not for the application's division"))
        elif not application.live:
            errors.append(EntryError(e.row, "application_id", "not_live",
                                     f"the application is {application.status}; evidence "
                                     "is added while it is under review"))
        elif e.kind not in allowed.setdefault(
                (application.program_code, application.category),
                evidence_kinds(uow.policies, application.program_code, application.category)):
            errors.append(EntryError(e.row, "kind", "kind",
                                     f"{application.program_code} does not ask for this "
                                     f"kind of document for {application.category}"))
    if errors:
        errors.sort(key=lambda x: x.row)
        raise InvalidRequest(f"{len({x.row for x in errors})} of the archive's entries are "
                             "refused; nothing was filed", errors=[x.as_item() for x in errors])
    on_file = await uow.evidence.on_file(sorted(found))
    now, new, filed = uow.now(), [], []
    for e in entries:
        digest = hashlib.sha256(e.content).hexdigest()
        key = (e.application_id, e.kind, digest)
        stored = key not in on_file
        if stored:
            on_file[key] = str(uuid.uuid4())
            new.append(NewEvidence(on_file[key], e.application_id, e.kind, e.filename,
                                   e.content_type, e.content, digest, officer.id, now))
        filed.append({"row": e.row, "application_id": e.application_id, "kind": e.kind,
                      "evidence_id": on_file[key], "sha256": digest, "size": len(e.content),
                      "stored": stored})
    await uow.evidence.add_many(new)
    return {"entries": len(entries), "stored": len(new),
            "already_on_file": len(entries) - len(new), "evidence": filed}
