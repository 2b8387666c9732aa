"""Case changes over a certification's life: a transfer to another county, handed over by
both counties' approvers, and a change of category. Each step is one unit of work: the
record, the certification as it now is, a history row and (when it takes effect) the event
other powers follow: `certification.transferred.v1` moves the periods from its month to
the receiving county, `certification.category_changed.v1` pays the new standard from its
month."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from siquan.contracts import eligibility_v1 as v1
from siquan.eligibility.application.certifications import check_scope
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.case_changes import CategoryChange, Transfer, county_of
from siquan.eligibility.domain.certification import Certification
from siquan.eligibility.domain.errors import InvalidRequest
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


async def change_category(command: ChangeCategory, uow: CaseWork) -> CategoryChange:
    c = command
    certification = await uow.certifications.get(c.certification_id, for_update=True)
    check_scope(c.officer, certification)
    change = CategoryChange.record(
        str(uuid.uuid4()), certification, to_category=c.to_category,
        categories=categories_of(uow, certification, c.effective_from),
        effective_from=c.effective_from, reason=c.reason, by=c.officer.id, at=uow.now(),
        latest_change=await uow.case_changes.latest_change(certification.id))
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
