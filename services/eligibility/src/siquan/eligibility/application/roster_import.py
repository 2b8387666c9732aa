"""Bringing in a county's existing roster (存量名册迁移) from another system: the certifications
of people the old system already paid, with the date they were certified since.

- An officer (township reviewer or county approver) submits the workbook
  (`siquan.shared.roster_workbook`); every row is checked and the report names refused
  rows by number and reason code only. Nothing is certified yet.
- A second officer, a county approver who is not the one who submitted it, approves it
  (maker-checker, as an account change or a policy version): the rows are checked again
  against what holds at that moment (a person certified or reported dead since), and each
  accepted row becomes an application and a certification marked as migrated from the
  import, effective from its `certified_since`, published as `CertificationGranted` like
  any other. The migrated do not go through the application cycle again.
- A per-household benefit is migrated as it is certified: only for a member of a
  registered household (`household_not_registered`), once per household
  (`household_already_certified`), and granted to the household.
- The payment columns (paid through, payee account) are disbursement's: it reads them from
  the same workbook (its own `POST /roster-imports`), never from eligibility.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from siquan.contracts.types import mask_name, mask_resident_id
from siquan.eligibility.adapters.roster_imports import PgRosterImports
from siquan.eligibility.application import events
from siquan.eligibility.application.ports import Granted, Work
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.certification import Certification, first_valid_until
from siquan.eligibility.domain.errors import InvalidRequest, NotFound, OutOfScope, Refused
from siquan.shared.auth import Officer
from siquan.shared.person import person_key
from siquan.shared.roster_workbook import (
    Checked,
    RosterRow,
    WorkbookUnreadable,
    check_workbook,
    without_accounts,
)

MAKER_IS_NOT_CHECKER = "the officer who submitted a roster import cannot approve it"


@dataclass(frozen=True)
class SubmitRosterImport:
    officer: Officer
    filename: str
    content: bytes


@dataclass(frozen=True)
class DecideRosterImport:
    officer: Officer
    import_id: str
    approve: bool
    reason: str = ""


def _imports(uow: Work) -> PgRosterImports:
    return PgRosterImports(uow.conn)  # type: ignore[attr-defined]


async def _check(uow: Work, officer: Officer, content: bytes, *,
                 refused_before: Mapping[int, str] | None = None
                 ) -> tuple[Checked, dict[str, str]]:
    """The workbook's rows checked on their own, then against the officer's scope, the
    people's live holdings and reported deaths. With `refused_before` (the rows refused
    when it was submitted: eligibility keeps the workbook without its payee accounts, so
    it cannot check them again) the payee accounts are not read and those rows stay
    refused."""
    try:
        checked = check_workbook(content, uow.policies, uow.today(),
                                 max_rows=uow.terms.max_batch,
                                 accounts=refused_before is None)
    except WorkbookUnreadable as exc:
        raise InvalidRequest(str(exc)) from exc
    if refused_before:
        for row in [r for r in checked.accepted if r.row in refused_before]:
            checked.refuse(row.row, refused_before[row.row])
        checked.accepted = [r for r in checked.accepted if r.row not in refused_before]
    keys = {row.row: person_key(uow.terms.person_key_secret, row.resident_id)
            for row in checked.accepted}
    held = {(h.person_key, h.program_code)
            for h in await uow.applications.holdings(sorted(set(keys.values())))}
    dead = await uow.deaths.of(sorted(set(keys.values())))
    found = await uow.households.of_persons(sorted(set(keys.values())))
    homes = {key: household.household_key for key, household in found.items()}
    live = await uow.households.live_certified(sorted(set(homes.values())))
    kept: list[RosterRow] = []
    for row in checked.accepted:
        key = keys[row.row]
        home = homes.get(key)
        per_household = uow.policies.per_household(row.program_code)
        if not officer.covers(row.scope):
            checked.refuse(row.row, "division_out_of_scope")
        elif key in dead:
            checked.refuse(row.row, "person_dead")
        elif (key, row.program_code) in held:
            checked.refuse(row.row, "already_certified")
        elif per_household and home is None:
            checked.refuse(row.row, "household_not_registered")
        elif per_household and (home, row.program_code) in live:
            checked.refuse(row.row, "household_already_certified")
        else:
            kept.append(row)
            if per_household and home is not None:
                live.add((home, row.program_code))
    checked.accepted = kept
    return checked, homes


async def submit(command: SubmitRosterImport, uow: Work) -> dict[str, Any]:
    if not command.content:
        raise InvalidRequest("the roster workbook is empty")
    checked, _ = await _check(uow, command.officer, command.content)
    import_id = str(uuid.uuid4())
    report = checked.report()
    await _imports(uow).add(
        import_id=import_id, filename=command.filename,
        sha256=hashlib.sha256(command.content).hexdigest(),
        content=without_accounts(command.content),
        report=report, by=command.officer.id, at=uow.now())
    return await _imports(uow).show(import_id)


async def decide(command: DecideRosterImport, uow: Work) -> dict[str, Any]:
    """Approve (certify every row still accepted) or reject the import, as its checker."""
    imports = _imports(uow)
    pending = await imports.get_pending(command.import_id)
    if pending is None:
        raise NotFound(f"no roster import {command.import_id} awaits a decision")
    if pending["submitted_by"] == command.officer.id:
        raise OutOfScope(MAKER_IS_NOT_CHECKER)
    now = uow.now()
    if not command.approve:
        if not command.reason.strip():
            raise InvalidRequest("a rejection needs a reason")
        await imports.decide(command.import_id, "rejected", by=command.officer.id, at=now,
                             reason=command.reason, created=0, report=pending["report"])
        return await imports.show(command.import_id)
    checked, homes = await _check(uow, command.officer, pending["content"], refused_before={
        r["row"]: r["reason"] for r in pending["report"]["refused_rows"]})
    if not checked.accepted:
        raise Refused("no row of the roster import can be certified")
    granted = [_grant(uow, row, pending, command.officer.id, now, homes)
               for row in checked.accepted]
    applications = [_as_application(g, row, pending["submitted_by"])
                    for g, row in zip(granted, checked.accepted, strict=True)]
    await imports.add_applications(command.import_id, [
        (a, row.resident_id) for a, row in zip(applications, checked.accepted, strict=True)])
    await uow.certifications.add(granted)
    await imports.mark_migrated(command.import_id, [g.certification.id for g in granted])
    await imports.decide(command.import_id, "approved", by=command.officer.id, at=now,
                         reason=command.reason, created=len(granted),
                         report=checked.report())
    for application, grant in zip(applications, granted, strict=True):
        uow.publish(events.granted(application, grant))
    return await imports.show(command.import_id)


async def show(uow: Work, officer: Officer, import_id: str) -> dict[str, Any]:
    return await _imports(uow).show(import_id)


def _grant(uow: Work, row: RosterRow, pending: dict[str, Any], checker: str,
           now: datetime, homes: Mapping[str, str]) -> Granted:
    policy = uow.policies.in_force(row.program_code, uow.today(), row.division_code)
    certification = Certification(
        id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=row.program_code, category=row.category, policy_version=policy.version,
        person_key=person_key(uow.terms.person_key_secret, row.resident_id),
        division_code=row.division_code, township_code=row.township_code,
        effective_from=row.certified_since,
        valid_until=first_valid_until(row.certified_since, uow.today()))
    home = homes.get(certification.person_key)
    return Granted(certification, pending["submitted_by"], checker, now, household_key=home,
                   per_household=home is not None and policy.paid_to == "household")


def _as_application(grant: Granted, row: RosterRow, maker: str) -> Application:
    """The application behind a migrated certification: certified, approved by the
    checker."""
    c = grant.certification
    return Application(
        id=c.application_id, program_code=c.program_code, category=c.category,
        person_key=c.person_key, masked_name=mask_name(row.name),
        masked_resident_id=mask_resident_id(row.resident_id),
        division_code=c.division_code, township_code=c.township_code,
        eligible_from=c.effective_from, submitted_by=maker, submitted_at=grant.approved_at,
        status="certified", approved_by=grant.approved_by, approved_at=grant.approved_at,
        decided_by=grant.approved_by, decided_at=grant.approved_at,
        review_reason="migrated from an existing roster")
