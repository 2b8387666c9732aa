"""Deaths from any source, and what each one ends.

- An officer records a death with its evidence (`RecordDeath`): the kind of document (a
  death certificate, the village's or community's report, a hospital's or a cremation
  record), its number, and the officer. A second record of the same death (the same date)
  changes nothing already changed: it is kept beside the first as corroboration, and
  revokes nothing again. A record whose date contradicts the death on record is refused.
  Once a death is corrected (recorded in error), recording the person's death again, on
  the same evidence or other, with the same date or another, is a new report: it revokes
  from its own date and the corrected one stays in the register, corrected.
- Public security sends its daily file of deaths (`receive_death_file`), signed with its
  key as its messages are: each line is accepted, a duplicate (the report or the same
  death already on record) or refused with a reason code; the file is kept by its id with
  that report, so the same file sent again is answered with the same report and changes
  nothing (a different file under a used id is refused).
- Public security's single message (`death.reported.v2`) is handled in `revocations`.

Whatever its source, a death goes through `register`: it is kept (an application entered
or approved after it ends instead of being certified), every live application of the
person ends, and every live certification is revoked from the first day of the month
after the death; the revocation carries the date of death, so disbursement stops paying
from that month, holds what it had not paid and hands what went out for later months to
fund custody as a receivable. Nothing here names the person outside the person key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from siquan.contracts.eligibility_v1 import DeathCorrected
from siquan.contracts.periods import first_day_of_next_month
from siquan.contracts.types import division_scope, mask_resident_id, validate_resident_id
from siquan.eligibility.application import events
from siquan.eligibility.application.certifications import record
from siquan.eligibility.application.ports import DeathCorrection, DeathScope, Work
from siquan.eligibility.domain.death import (
    CorrectionEvidenceKind,
    Death,
    EvidenceKind,
    check_corrector,
)
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.shared.auth import Officer
from siquan.shared.person import person_key

FILE_PRODUCER = "partner.public_security"
FILE_TYPE = "public_security.death_file.v1"
"""The type a death file is signed under (`x-siquan-type`), beside its producer."""
FILE_HEADER = ("report_id", "resident_id", "date_of_death")
MAX_FILE_LINES = 20_000
FILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_REPORT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

LineResult = Literal["accepted", "duplicate", "refused"]
RefusalCode = Literal["field_count", "report_id_invalid", "resident_id_invalid",
                      "date_invalid", "date_in_future", "date_conflict"]


@dataclass(frozen=True)
class Ended:
    """What one death ended: the certifications revoked and the applications closed."""

    revoked: list[str]
    applications: list[str]


async def register(uow: Work, death: Death) -> Ended:
    """Keep the death and end what the person holds. The person's applications are locked
    before their certifications are read, so an approval committing meanwhile is seen and
    its certification revoked. Idempotent: a second death of the same person finds nothing
    live."""
    now = uow.now()
    ended = [a for a in await uow.applications.live_of_person(death.person_key)
             if a.end_for_death(death.date_of_death, now)]
    live = await uow.certifications.live_of_person(death.person_key)
    revoked = [(c, ch) for c in live if (ch := c.revoke_for_death(death.date_of_death))]
    held = [(c.division_code, c.township_code) for c, _ in revoked] + [
        (a.division_code, a.township_code) for a in ended]
    await uow.deaths.record(death, now, scope=DeathScope(*held[0]) if held else None,
                            revoked=[c.id for c, _ in revoked])
    await record(uow, revoked)
    await uow.applications.save(ended)
    for application in ended:
        uow.publish(events.reviewed(application, stage="death_reported", by="system", at=now))
    return Ended([c.id for c, _ in revoked], [a.id for a in ended])


# An officer's record ------------------------------------------------------------------


@dataclass(frozen=True)
class RecordDeath:
    officer: Officer
    resident_id: str
    date_of_death: date
    evidence_kind: EvidenceKind
    document_number: str


@dataclass(frozen=True)
class Recorded:
    report_id: str
    status: Literal["recorded", "already_recorded"]
    ended: Ended


async def record_death(command: RecordDeath, uow: Work) -> Recorded:
    """An officer's record of a death. The officer acts within their division: a person
    whose live certification or application is outside it is refused (403)."""
    c = command
    if c.date_of_death > uow.today():
        raise InvalidRequest("the date of death is in the future")
    number = c.document_number.strip()
    if not number:
        raise InvalidRequest("the evidence needs its document number")
    key = person_key(uow.terms.person_key_secret, validate_resident_id(c.resident_id))
    applications = await uow.applications.live_of_person(key)  # locks them first
    certifications = await uow.certifications.live_of_person(key)
    for scope in {h.township_code or h.division_code for h in applications}.union(
            h.township_code or h.division_code for h in certifications):
        c.officer.check_scope(scope)
    report_id = _officer_report_id(key, c.evidence_kind, number, corrected=sum(
        d.correction is not None for d in await uow.deaths.of_person(key)))
    death = Death(report_id, key, c.date_of_death, "officer", c.evidence_kind, number,
                  c.officer.id, mask_resident_id(c.resident_id))
    on_record = (await uow.deaths.of([key])).get(key)
    if on_record is not None and on_record != c.date_of_death:
        raise Refused("a death with another date is already on record for this person; "
                      "the records must be reconciled before another one is entered")
    if on_record is not None:
        await uow.deaths.record(death, uow.now())  # kept as corroboration, nothing ends
        return Recorded(report_id, "already_recorded", Ended([], []))
    return Recorded(report_id, "recorded", await register(uow, death))


def _officer_report_id(key: str, kind: EvidenceKind, number: str, *, corrected: int) -> str:
    """The same evidence recorded twice is one report (corroboration, nothing ends twice),
    but a death recorded again after the person's deaths on record were corrected is a new
    report, whatever its evidence: the corrected record stays in the register as it was."""
    generation = f"\n{corrected}" if corrected else ""
    return "officer:" + hashlib.sha256(
        f"{key}\n{kind}\n{number}{generation}".encode()).hexdigest()[:32]


# Public security's daily file ---------------------------------------------------------


@dataclass(frozen=True)
class DeathFile:
    file_id: str
    key_id: str
    content: bytes


@dataclass
class FileReport:
    file_id: str
    sha256: str
    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: int, result: LineResult, reason: RefusalCode | None = None) -> None:
        self.results.append({"line": line, "result": result,
                             **({"reason": reason} if reason else {})})

    def count(self, result: LineResult) -> int:
        return sum(r["result"] == result for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "sha256": self.sha256, "lines": len(self.results),
                "accepted": self.count("accepted"), "duplicate": self.count("duplicate"),
                "refused": self.count("refused"), "results": self.results}


def read_lines(content: bytes) -> list[tuple[int, list[str]]]:
    """The file's data lines with their line numbers (the header is line 1; blank lines
    are skipped). InvalidRequest when the file as a whole cannot be read."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("a death file is UTF-8 text") from exc
    if "\x00" in text:
        raise InvalidRequest("a death file is UTF-8 text")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidRequest("a death file is CSV (RFC 4180)") from exc
    if not rows or tuple(cell.strip() for cell in rows[0]) != FILE_HEADER:
        raise InvalidRequest(f"a death file starts with the header {','.join(FILE_HEADER)}")
    data = [(n, row) for n, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)]
    if len(data) > MAX_FILE_LINES:
        raise InvalidRequest(f"a death file holds at most {MAX_FILE_LINES} lines")
    return data


async def receive_death_file(file: DeathFile, uow: Work) -> dict[str, Any]:
    """Record each line's death and answer with the per-line report (line numbers and
    codes, never what a line holds). The file's signature was verified before this."""
    if not FILE_ID.match(file.file_id):
        raise InvalidRequest("a file id is 1 to 64 letters, digits, '.', '_' or '-'")
    sha256 = hashlib.sha256(file.content).hexdigest()
    await uow.deaths.lock_file(file.file_id)
    kept = await uow.deaths.file_report(file.file_id)
    if kept is not None:
        if kept["sha256"] != sha256:
            raise Refused(f"file {file.file_id} was already received with other content")
        return kept
    report = FileReport(file.file_id, sha256)
    today, secret = uow.today(), uow.terms.person_key_secret
    for line, cells in read_lines(file.content):
        verdict = _check_line(cells, today)
        if isinstance(verdict, str):
            report.add(line, "refused", verdict)
            continue
        report_id, resident_id, died = verdict
        key = person_key(secret, resident_id)
        death = Death(report_id, key, died, "public_security_file",
                      masked_resident_id=mask_resident_id(resident_id),
                      file_id=file.file_id, file_line=line)
        on_record = (await uow.deaths.of([key])).get(key)
        if await uow.deaths.known([report_id]) or on_record == died:
            report.add(line, "duplicate")
        elif on_record is not None:
            report.add(line, "refused", "date_conflict")
        else:
            await register(uow, death)
            report.add(line, "accepted")
    answer = report.as_dict()
    await uow.deaths.keep_file(answer, key_id=file.key_id, at=uow.now())
    return answer


def _check_line(cells: Sequence[str], today: date) -> tuple[str, str, date] | RefusalCode:
    if len(cells) != len(FILE_HEADER):
        return "field_count"
    report_id, resident_id, died = (cell.strip() for cell in cells)
    if not _REPORT_ID.match(report_id):
        return "report_id_invalid"
    try:
        resident_id = validate_resident_id(resident_id)
    except ValueError:
        return "resident_id_invalid"
    try:
        day = date.fromisoformat(died)
    except ValueError:
        return "date_invalid"
    if len(died) != 10:
        return "date_invalid"
    if day > today:
        return "date_in_future"
    return report_id, resident_id, day


# The register of deaths and its corrections -------------------------------------------


@dataclass(frozen=True)
class ListDeaths:
    officer: Officer
    division_code: str | None
    died_from: date | None
    died_until: date | None
    limit: int
    offset: int


async def list_deaths(query: ListDeaths, uow: Work) -> list[dict[str, Any]]:
    """The deaths within the officer's division (or the division asked for, in scope):
    where each came from, when the person died, who recorded it when, what it revoked and
    whether it was corrected; the person by masked name and resident ID only."""
    q = query
    if q.division_code is not None:
        q.officer.check_scope(q.division_code)
    if q.died_from is not None and q.died_until is not None and q.died_from > q.died_until:
        raise InvalidRequest("died_from is after died_until")
    return await uow.deaths.listed(
        division_prefix=q.division_code or division_scope(q.officer.division),
        died_from=q.died_from, died_until=q.died_until, limit=q.limit, offset=q.offset)


@dataclass(frozen=True)
class CorrectDeath:
    officer: Officer
    report_id: str
    reason: str
    evidence_kind: CorrectionEvidenceKind
    document_number: str


@dataclass(frozen=True)
class Corrected:
    correction_id: str
    report_ids: list[str]
    reinstated: list[str]


async def correct_death(command: CorrectDeath, uow: Work) -> Corrected:
    """A death recorded in error, corrected by a county approver who recorded none of the
    person's records of it (four eyes), on evidence. Every record of the person's death
    is corrected (a second record corroborated the same error); the certifications the
    death revoked are active again from the day the revocation took effect, as if never
    revoked, and `death.corrected` tells disbursement and oversight so: the months not
    paid are owed as arrears and what was found overpaid because of the death is not
    pursued. A death corrected already is refused (409)."""
    c = command
    reason, number = c.reason.strip(), c.document_number.strip()
    if not reason:
        raise InvalidRequest("a correction needs its reason")
    if not number:
        raise InvalidRequest("the evidence needs its document number")
    named = await uow.deaths.get(c.report_id)
    if named.correction is not None:
        raise Refused("this death was corrected already: the person is not recorded dead")
    key, died = named.death.person_key, named.death.date_of_death
    records = [d for d in await uow.deaths.of_person(key, for_update=True)
               if d.correction is None]
    if all(d.death.report_id != c.report_id for d in records):  # corrected meanwhile
        raise Refused("this death was corrected already: the person is not recorded dead")
    if any(d.death.date_of_death != died for d in records):
        raise Refused("another death with another date is on record for this person; the "
                      "records must be reconciled before this one is corrected")
    scopes = {d.scope.township_code or d.scope.division_code
              for d in records if d.scope is not None}
    for scope in scopes or {c.officer.division}:
        c.officer.check_scope(scope)
    for d in records:
        check_corrector(d.death.recorded_by, c.officer.id)
    now = uow.now()
    correction = DeathCorrection(str(uuid.uuid4()), reason, c.evidence_kind, number,
                                 c.officer.id, now)
    await uow.deaths.correct([d.death.report_id for d in records], correction)
    revoked_ids = [i for d in records for i in d.revoked]
    revoked_from = first_day_of_next_month(died)
    why = f"death of {died} recorded in error: {reason}"
    reinstated = [(cert, ch) for i in revoked_ids
                  if (ch := (cert := await uow.certifications.get(i, for_update=True))
                      .reinstate_after_death_corrected(revoked_from, why, c.officer.id))]
    if reinstated:
        await uow.certifications.record(reinstated, now)
    recorders = [d.death.recorded_by for d in records if d.death.recorded_by]
    uow.publish(DeathCorrected(
        correction_id=correction.correction_id, report_id=c.report_id, person_key=key,
        date_of_death=died, certification_ids=tuple(cert.id for cert, _ in reinstated),
        reinstated_from=revoked_from, reason=reason,
        recorded_by=recorders[0] if recorders else None, corrected_by=c.officer.id,
        corrected_at=now))
    return Corrected(correction.correction_id, [d.death.report_id for d in records],
                     [cert.id for cert, _ in reinstated])
