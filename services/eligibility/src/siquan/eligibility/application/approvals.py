"""County re-check and approval (复核, 审批确认): only entries of a closed notice without an
open objection, by an officer who took no earlier step; each approval grants a
certification under the policy version in force that day, valid to the end of the year.
Nothing is approved without the evidence that version requires for the category on file
(`PolicyVersion.required_evidence`): named applications lacking it are refused with what
is missing, a notice's entries lacking it are left for later and reported.
A batch is refused whole when any named application may not be approved; entries of a
notice that an open objection blocks are left for later and reported, as are those of a
person certified (before or in the same batch) in a program the policy declares exclusive
with theirs: at most one of two exclusive programs is certified.

Competing approvals take turns on row locks (the notice first, then its entries), so an
application is certified once: the second approval finds it certified and is refused, or
no longer lists it among the notice's entries. A per-household benefit is certified once
per household (户): an approval that would certify a second member of a registered
household, while one holds it or in the same batch, or anyone outside the register, is
refused (a unique index guards competing approvals). A person public security reported dead is
never certified: the entry ends instead, whichever of the report and the approval came
first."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from siquan.eligibility.application import events
from siquan.eligibility.application.intake import exclusive_refusal, holdings_by_person
from siquan.eligibility.application.notices import close_if_due
from siquan.eligibility.application.ports import EndToAssess, Granted, Holding, Work
from siquan.eligibility.application.reconfirmation import assess_end, programs_pending
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.certification import Certification, first_valid_until
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.household_register import (
    Household,
    check_once_per_household,
)
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class Approve:
    """Approve a closed notice's entries, or the named applications; `rejections` are
    rejected at the re-check with their reasons."""

    officer: Officer
    notice_id: str | None = None
    application_ids: Sequence[str] = ()
    rejections: dict[str, str] = field(default_factory=dict)


@dataclass
class ApprovalResult:
    certified: list[dict[str, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    blocked: list[dict[str, str]] = field(default_factory=list)
    ended: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Decisions:
    approved: list[Application] = field(default_factory=list)
    rejected: list[Application] = field(default_factory=list)
    ended: list[Application] = field(default_factory=list)


async def approve(command: Approve, uow: Work) -> ApprovalResult:
    c = command
    if (c.notice_id is None) == (not c.application_ids):
        raise InvalidRequest("name either a notice or the applications to approve")
    if len(c.application_ids) + len(c.rejections) > uow.terms.max_batch:
        raise InvalidRequest(f"a batch takes at most {uow.terms.max_batch} applications")
    now, today = uow.now(), uow.today()
    candidates = await _candidates(c, uow)
    for application in candidates:
        c.officer.check_scope(application.scope)
    result = ApprovalResult()
    lacking = await _lacking_evidence(uow, candidates, today)
    if c.notice_id is None:
        _refuse_without_evidence(c, lacking)
    decided = await _decide(c, uow, candidates, result, now, lacking)
    if not (decided.approved or decided.rejected or decided.ended):
        raise Refused(f"nothing to approve on notice {c.notice_id}: "
                      f"{len(result.blocked)} entries are blocked (an open objection, "
                      "missing required evidence, or a certification in an exclusive "
                      "program)")
    homes, registered = await _households(uow, decided.approved)
    granted = await _with_ends(uow, [_grant(uow, c.officer, a, now, today,
                                            homes.get(a.person_key))
                                     for a in decided.approved], registered)
    await uow.applications.save([*decided.ended, *decided.rejected, *decided.approved])
    await uow.certifications.add(granted)
    for application in decided.ended:
        uow.publish(events.reviewed(application, stage="death_reported", by="system", at=now))
    for application in decided.rejected:
        uow.publish(events.reviewed(application, stage="county", by=c.officer.id, at=now))
    for application, grant in zip(decided.approved, granted, strict=True):
        uow.publish(events.granted(application, grant))
    result.certified = [{"application_id": g.certification.application_id,
                         "certification_id": g.certification.id} for g in granted]
    return result


async def _lacking_evidence(uow: Work, candidates: list[Application], today: date
                            ) -> dict[str, list[str]]:
    """The evidence each application still lacks: its category's required evidence under
    the version the approval would grant, less the kinds on file."""
    on_file = await uow.evidence.kinds_on_file([a.id for a in candidates])
    lacking = {}
    for a in candidates:
        policy = uow.policies.in_force(a.program_code, today, a.division_code)
        missing = [kind for kind in policy.required_evidence(a.category)
                   if kind not in on_file.get(a.id, set())]
        if missing:
            lacking[a.id] = missing
    return lacking


def _refuse_without_evidence(c: Approve, lacking: dict[str, list[str]]) -> None:
    """Named applications are approved together or not at all: one lacking evidence
    refuses the batch, with every missing document named (a rejection needs none)."""
    named = [a for a in c.application_ids if a in lacking and a not in c.rejections]
    if named:
        raise Refused(
            "required evidence is not on file: " + "; ".join(
                f"application {a} lacks {', '.join(lacking[a])}" for a in named),
            errors=[{"field": f"evidence.{kind}", "msg": f"application {a} lacks it",
                     "type": "missing_evidence"} for a in named for kind in lacking[a]])


async def _decide(c: Approve, uow: Work, candidates: list[Application],
                  result: ApprovalResult, now: datetime, lacking: dict[str, list[str]]
                  ) -> _Decisions:
    persons = sorted({a.person_key for a in candidates})
    dead = await uow.deaths.of(persons)
    held = holdings_by_person(await uow.applications.holdings(persons))
    decided = _Decisions()
    for application in candidates:
        excluded = exclusive_refusal(uow.policies, application.program_code,
                                     held.get(application.person_key, []))
        died = dead.get(application.person_key)
        if died is not None and application.end_for_death(died, now):
            decided.ended.append(application)
            result.ended.append({"application_id": application.id,
                                 "reason": application.review_reason})
        elif application.id in c.rejections:
            application.reject_at_county(c.officer.id, c.rejections[application.id], now)
            decided.rejected.append(application)
            result.rejected.append(application.id)
        elif c.notice_id is not None and application.open_objections:
            result.blocked.append({"application_id": application.id,
                                   "reason": "an objection is open"})
        elif application.id in lacking:
            missing = ", ".join(lacking[application.id])
            result.blocked.append({"application_id": application.id,
                                   "reason": f"required evidence is not on file: {missing}"})
        elif excluded is not None:
            result.blocked.append({"application_id": application.id, "reason": excluded})
        else:
            application.approve(c.officer.id, now)
            decided.approved.append(application)
            # a second application of the person in the batch meets this certification
            held[application.person_key].append(Holding(
                application.person_key, application.program_code, "certification",
                application.id))
    return decided


async def close_due_notices(command: Approve, uow: Work) -> None:
    """Close the notices the approval concerns whose days are over. The entrypoint runs
    this in a unit of its own before the approval, so a refused approval never undoes a
    deadline that fell; `approve` closes them too, so it never depends on it."""
    for notice_id in await _notices(command, uow):
        await close_if_due(uow, await uow.notices.get(notice_id, for_update=True))


async def _notices(c: Approve, uow: Work) -> list[str]:
    if c.notice_id is not None:
        return [c.notice_id]
    return await uow.applications.notices_of(_named(c))


def _named(c: Approve) -> list[str]:
    return [*c.application_ids, *(r for r in c.rejections if r not in c.application_ids)]


async def _candidates(c: Approve, uow: Work) -> list[Application]:
    if c.notice_id is None:
        await close_due_notices(c, uow)  # notices are locked before their entries
        return await uow.applications.get_many(_named(c), for_update=True)
    notice = await uow.notices.get(c.notice_id, for_update=True)
    c.officer.check_scope(notice.township_code or notice.division_code)
    await close_if_due(uow, notice)
    if notice.status == "open":
        raise Refused(f"notice {c.notice_id} is posted until {notice.closes_on}; its entries "
                      "can be approved only after it closes")
    candidates = await uow.applications.in_notice(c.notice_id, "notice_closed")
    unknown = set(c.rejections) - {a.id for a in candidates}
    if unknown:
        raise Refused(f"application {sorted(unknown)[0]} is not an entry of notice "
                      f"{c.notice_id} awaiting approval")
    return candidates


async def _households(uow: Work, approved: list[Application]
                      ) -> tuple[dict[str, str], dict[str, Household]]:
    """The household key of each approved person who is a registered household member,
    and the household itself; Refused when a per-household benefit would be certified
    twice in one household (a member holds it live, or another member is approved in the
    same batch)."""
    found = await uow.households.of_persons(sorted({a.person_key for a in approved}))
    homes = {key: household.household_key for key, household in found.items()}
    live = await uow.households.live_certified(sorted(set(homes.values())))
    approving: set[tuple[str, str]] = set()
    for application in approved:
        if not uow.policies.per_household(application.program_code):
            continue
        home = homes.get(application.person_key)
        check_once_per_household(application.program_code, home, live, approving)
        if home is not None:
            approving.add((home, application.program_code))
    return homes, found


async def _with_ends(uow: Work, granted: list[Granted], registered: Mapping[str, Household]
                     ) -> list[Granted]:
    """The grants with their ends under their programs' rules, assessed as they are granted
    (the facts the rules read are at hand): the deadlines loop need not read and rewrite
    every new certification again. Those of a program with a version published that this
    instance does not apply yet are left to the loop."""
    pending = await programs_pending(uow)
    applicants = await uow.applications.applicants(
        [g.certification.application_id for g in granted
         if g.certification.program_code not in pending])
    assessed = []
    for grant in granted:
        applicant = applicants.get(grant.certification.application_id)
        if applicant is not None:
            _, ends_on, reason = assess_end(
                uow, EndToAssess(grant.certification, *applicant), registered)
            grant = replace(grant, ends=(ends_on, reason))
        assessed.append(grant)
    return assessed


def _grant(uow: Work, officer: Officer, a: Application, now: datetime, today: date,
           home: str | None = None) -> Granted:
    policy = uow.policies.in_force(a.program_code, today, a.division_code)
    certification = Certification(
        id=str(uuid.uuid4()), application_id=a.id, program_code=a.program_code,
        category=a.category, policy_version=policy.version, person_key=a.person_key,
        division_code=a.division_code, township_code=a.township_code,
        effective_from=a.eligible_from,
        valid_until=first_valid_until(a.eligible_from, today))
    return Granted(certification, a.reviewed_by or "", officer.id, now, household_key=home,
                   per_household=home is not None and policy.paid_to == "household")
