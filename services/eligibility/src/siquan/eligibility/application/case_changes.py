"""Case changes over a certification's life: a transfer to another county, handed over by
both counties' approvers, and a change of category. Each step is one unit of work: the
record, the certification as it now is, a history row and (when it takes effect) the event
other powers follow: `certification.transferred.v1` moves the periods from its month to
the receiving county, `certification.category_changed.v1` pays the new standard from its
month.

A change of category is decided on the evidence the policy names for the new category
(`PolicyVersion.required_evidence`, as an approval is), filed for the certification
beforehand (`add_evidence`): without it the change is refused with every missing document
named. The household facts the change implies (the only child's status, the date of
death, the disability grade) are stated with it, over the facts on record; they must
qualify for the new category (incomplete or non-qualifying facts are refused, by field).
They become the facts on record: the household register's for a registered member (so
every member's next application is assessed on them) and the application's, and the
other members' live applications and certifications carry the household's part of them
too."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts.household import HouseholdFacts
from siquan.eligibility.application.certifications import check_scope
from siquan.eligibility.application.intake import check_file, evidence_kinds
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.case_changes import CategoryChange, Transfer, county_of
from siquan.eligibility.domain.certification import Certification
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.household import applicant_from_id, assess, incomplete
from siquan.eligibility.domain.household_register import facts_for, shared_facts
from siquan.shared.auth import Officer


class CaseChanges(Protocol):
    async def latest_change(self, certification_id: str) -> date | None: ...

    async def add_transfer(self, t: Transfer) -> None: ...

    async def transfer(self, transfer_id: str, *, for_update: bool = False) -> Transfer: ...

    async def transfers_to(self, county: str, status: str | None) -> list[Transfer]: ...

    async def decide_transfer(self, t: Transfer) -> None: ...

    async def add_category_change(self, c: CategoryChange) -> None: ...

    async def moved(self, c: Certification, *, effective_from: date, reason: str, actor: str,
                    at: datetime) -> None: ...

    async def applicant(self, application_id: str) -> tuple[str, dict[str, Any] | None]:
        """The resident ID and the facts on record of a certification's application."""

    async def restate(self, application_id: str, facts: dict[str, Any]) -> None:
        """The application's facts are now `facts` (JSON)."""

    async def restate_household(self, person_keys: Sequence[str], shared: dict[str, Any]
                                ) -> None:
        """The household's part (`shared`) of the facts of these people's live
        applications and of the applications of their live certifications."""


class CaseWork(Work, Protocol):
    @property
    def case_changes(self) -> CaseChanges: ...


@dataclass(frozen=True)
class InitiateTransfer:
    officer: Officer
    certification_id: str
    to_division_code: str
    to_township_code: str | None
    effective_from: date
    reason: str


@dataclass(frozen=True)
class DecideTransfer:
    officer: Officer
    transfer_id: str
    accept: bool
    reason: str = ""


@dataclass(frozen=True)
class ChangeCategory:
    officer: Officer
    certification_id: str
    to_category: str
    effective_from: date
    reason: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    """The household facts that change with the category (JSON, as an application states
    them), over the facts on record."""


@dataclass(frozen=True)
class AddEvidence:
    """A document filed for a certification (for a change of its category)."""

    officer: Officer
    certification_id: str
    kind: str
    filename: str
    content_type: str
    content: bytes


def shown(t: Transfer) -> dict[str, object]:
    return {"transfer_id": t.id, "certification_id": t.certification_id,
            "from_division_code": t.from_division_code,
            "to_division_code": t.to_division_code, "to_township_code": t.to_township_code,
            "effective_from": t.effective_from, "status": t.status,
            "initiated_by": t.initiated_by, "decided_by": t.decided_by,
            "refusal_reason": t.refusal_reason}


async def initiate_transfer(command: InitiateTransfer, uow: CaseWork) -> Transfer:
    """The sending county's approver hands the certification over (pending until the
    receiving county decides)."""
    c = command
    certification = await uow.certifications.get(c.certification_id, for_update=True)
    check_scope(c.officer, certification)
    transfer = Transfer.initiate(
        str(uuid.uuid4()), certification, to_division_code=c.to_division_code,
        to_township_code=c.to_township_code, effective_from=c.effective_from,
        reason=c.reason, by=c.officer.id, at=uow.now(),
        latest_change=await uow.case_changes.latest_change(certification.id))
    await uow.case_changes.add_transfer(transfer)
    return transfer


async def decide_transfer(command: DecideTransfer, uow: CaseWork) -> Transfer:
    """The receiving county's approver accepts (the certification is the receiving
    county's from the transfer's month) or refuses with a reason."""
    c = command
    transfer = await uow.case_changes.transfer(c.transfer_id, for_update=True)
    c.officer.check_scope(transfer.to_division_code)
    certification = await uow.certifications.get(transfer.certification_id, for_update=True)
    if not c.accept:
        transfer.refuse(c.reason, c.officer.id, uow.now())
        await uow.case_changes.decide_transfer(transfer)
        return transfer
    transfer.accept(certification, c.officer.id, uow.now(),
                    latest_change=await uow.case_changes.latest_change(certification.id))
    await uow.case_changes.decide_transfer(transfer)
    await uow.case_changes.moved(
        certification, effective_from=transfer.effective_from, actor=c.officer.id,
        at=uow.now(), reason=f"transferred from {transfer.from_division_code} to "
                             f"{transfer.to_division_code}: {transfer.reason}")
    await uow.certification_ends.reassess(certification_ids=[certification.id])  # its county
    assert transfer.decided_at is not None and transfer.decided_by is not None
    uow.publish(v1.CertificationTransferred(
        transfer_id=transfer.id, certification_id=certification.id,
        program_code=certification.program_code, category=certification.category,
        person_key=certification.person_key,
        from_division_code=county_of(transfer.from_division_code),
        to_division_code=transfer.to_division_code,
        to_township_code=transfer.to_township_code, effective_from=transfer.effective_from,
        initiated_by=transfer.initiated_by, accepted_by=transfer.decided_by,
        accepted_at=transfer.decided_at))
    return transfer


def categories_of(uow: Work, certification: Certification, on: date) -> tuple[str, ...]:
    try:
        version = uow.policies.in_force(certification.program_code, on,
                                        certification.division_code)
    except KeyError as exc:
        raise InvalidRequest(f"no version of {certification.program_code} is in force on "
                             f"{on}") from exc
    return tuple(b.category for b in version.benefits)


def filed_kinds(uow: Work, certification: Certification) -> list[str]:
    """The kinds of document filed for a certification: those the program names for one
    of the categories of its version in force today."""
    kinds: set[str] = set()
    for category in categories_of(uow, certification, uow.today()):
        kinds |= evidence_kinds(uow.policies, certification.program_code, category)
    return sorted(kinds)


async def add_evidence(command: AddEvidence, uow: CaseWork) -> dict[str, Any]:
    """File a document for a live certification (kept with its application's evidence):
    a kind the program names for one of its categories."""
    c = command
    check_file(c.content, uow.terms.evidence_max_bytes)
    certification = await uow.certifications.get(c.certification_id, for_update=True)
    check_scope(c.officer, certification)
    if not certification.live:
        raise Refused(f"certification {certification.id} is {certification.status}; "
                      "evidence is filed for a live certification")
    if c.kind not in filed_kinds(uow, certification):
        raise InvalidRequest(f"{certification.program_code} does not ask for this kind of "
                             "document", errors=[{"field": "kind", "type": "kind",
                                                  "msg": "not a kind the program names"}])
    digest = hashlib.sha256(c.content).hexdigest()
    evidence_id = str(uuid.uuid4())
    await uow.evidence.add(evidence_id=evidence_id,
                           application_id=certification.application_id, kind=c.kind,
                           filename=c.filename, content_type=c.content_type,
                           content=c.content, sha256=digest, by=c.officer.id, at=uow.now())
    return {"evidence_id": evidence_id, "sha256": digest, "size": len(c.content)}


async def _missing_evidence(uow: CaseWork, certification: Certification, category: str,
                            on: date) -> list[str]:
    """What the version in force on `on` requires for `category` that is not on file for
    the certification (its application's evidence)."""
    policy = uow.policies.in_force(certification.program_code, on,
                                   certification.division_code)
    on_file = (await uow.evidence.kinds_on_file([certification.application_id])).get(
        certification.application_id, set())
    return [kind for kind in policy.required_evidence(category) if kind not in on_file]


def _invalid_facts(exc: ValidationError) -> InvalidRequest:
    """The facts' problems by field, without the input (which may describe a person)."""
    errors = [{"field": ".".join(["household", *map(str, e["loc"])]),
               "type": "missing" if e["type"] == "missing" else "invalid",
               "msg": e["msg"]} for e in exc.errors()]
    return InvalidRequest("the household facts after the change are not valid: " + "; ".join(
        f"{e['field']}: {e['msg']}" for e in errors), errors=errors)


async def _facts_after(uow: CaseWork, c: ChangeCategory, certification: Certification
                       ) -> tuple[HouseholdFacts, str | None]:
    """The facts after the change (those on record, the register's for a registered
    member, with the stated ones over them) and the member's household id; refused when
    they are incomplete or do not qualify for the new category on its first day."""
    resident_id, stored = await uow.case_changes.applicant(certification.application_id)
    key = certification.person_key
    home = (await uow.households.of_persons([key])).get(key)
    base = dict(stored or {})
    if home is not None:
        member = home.member(key)
        assert member is not None
        if not base:
            base = facts_for(home, member, None).model_dump(mode="json")
        base.update(home.facts)
    if "applicant" in c.facts:
        raise InvalidRequest("the applicant's birth date and sex are the resident ID's; a "
                             "change of category does not restate them")
    merged = {"applicant": applicant_from_id(resident_id).model_dump(mode="json"),
              **base, **c.facts}
    try:
        facts = HouseholdFacts.model_validate(merged)
    except ValidationError as exc:
        raise _invalid_facts(exc) from exc
    problems = assess(uow.policies, certification.program_code, c.to_category,
                      c.effective_from, county_of(certification.division_code), facts,
                      resident_id)
    if missing := incomplete(problems):
        raise InvalidRequest(
            f"the change is incomplete: {c.to_category} needs {', '.join(missing)}",
            errors=[{"field": f, "msg": m, "type": "missing"} for f, m in problems])
    if problems:
        raise InvalidRequest(
            f"the household facts do not qualify for {c.to_category}: "
            + "; ".join(f"{f}: {m}" for f, m in problems),
            errors=[{"field": f, "msg": m, "type": "criterion"} for f, m in problems])
    return facts, home.id if home is not None else None


async def change_category(command: ChangeCategory, uow: CaseWork) -> CategoryChange:
    c = command
    certification = await uow.certifications.get(c.certification_id, for_update=True)
    check_scope(c.officer, certification)
    application_id = certification.application_id
    change = CategoryChange.record(
        str(uuid.uuid4()), certification, to_category=c.to_category,
        categories=categories_of(uow, certification, c.effective_from),
        effective_from=c.effective_from, reason=c.reason, by=c.officer.id, at=uow.now(),
        latest_change=await uow.case_changes.latest_change(certification.id))
    facts, household_id = await _facts_after(uow, c, certification)
    if missing := await _missing_evidence(uow, certification, c.to_category,
                                          c.effective_from):
        raise Refused(
            f"the change to {c.to_category} needs evidence that is not on file for the "
            f"certification: {', '.join(missing)}",
            errors=[{"field": f"evidence.{kind}", "type": "missing_evidence",
                     "msg": f"{c.to_category} requires it"} for kind in missing])
    await uow.case_changes.restate(application_id, facts.model_dump(mode="json"))
    if household_id is not None:
        shared = shared_facts(facts)
        household = await uow.households.get(household_id, for_update=True)
        if shared != household.facts:
            await uow.households.set_facts(household_id, shared, by=c.officer.id,
                                           at=change.decided_at)
        await uow.case_changes.restate_household(
            [m.person_key for m in household.members], shared)
    await uow.case_changes.add_category_change(change)
    await uow.case_changes.moved(
        certification, effective_from=change.effective_from, actor=c.officer.id,
        at=change.decided_at, reason=f"category changed from {change.from_category} to "
                                     f"{change.to_category}: {change.reason}")
    await uow.certification_ends.reassess(certification_ids=[certification.id])
    uow.publish(v1.CertificationCategoryChanged(
        change_id=change.id, certification_id=certification.id,
        program_code=certification.program_code, person_key=certification.person_key,
        division_code=certification.division_code, from_category=change.from_category,
        to_category=change.to_category, effective_from=change.effective_from,
        reason=change.reason, decided_by=change.decided_by, decided_at=change.decided_at))
    return change
