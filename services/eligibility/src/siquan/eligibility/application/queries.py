"""What officers read: an application with its steps, objections and evidence; a notice;
a certification with its history and what it is owed for a period; timeliness. Each runs
in a unit of work (`EligibilityWork.views` reads the tables directly); a read of a person's
record (application, evidence, certification) publishes `person_record.read.v1` with the
purpose the officer stated."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime, time, timedelta
from typing import Any, Literal

from siquan.contracts.eligibility_v1 import PersonRecordRead
from siquan.contracts.periods import period_start
from siquan.contracts.policy import PolicyCatalogue
from siquan.eligibility.adapters.unit_of_work import EligibilityWork
from siquan.eligibility.domain.certification import renewal_deadline
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.eligibility.domain.timeliness import Timeliness, month_bounds
from siquan.shared.auth import Officer


def recorded_read(uow: EligibilityWork, officer: Officer, purpose: str, person_key: str,
                  record: Literal["application", "evidence", "certification"],
                  record_id: str) -> None:
    """Publish the read of a person's record (who, when, whose, what, why) to oversight."""
    uow.publish(PersonRecordRead(
        read_id=str(uuid.uuid4()), person_key=person_key, officer_id=officer.id,
        officer_division=officer.division, record=record, record_id=record_id,
        purpose=purpose, read_at=uow.now()))


async def application(uow: EligibilityWork, officer: Officer, application_id: str,
                      purpose: str) -> dict[str, Any]:
    found = await uow.applications.get(application_id)
    officer.check_scope(found.scope)
    recorded_read(uow, officer, purpose, found.person_key, "application", found.id)
    extra = await uow.views.application_detail(application_id)
    view = asdict(found)
    view["blocked_by_objection"] = found.open_objections > 0
    return {**view, **extra}


async def evidence(uow: EligibilityWork, officer: Officer, evidence_id: str,
                   purpose: str) -> dict[str, Any]:
    """The file, once the officer may see the application it belongs to."""
    found = await uow.views.evidence(evidence_id)
    application = await uow.applications.get(found["application_id"])
    officer.check_scope(application.scope)
    recorded_read(uow, officer, purpose, application.person_key, "evidence", evidence_id)
    return found


async def notice(uow: EligibilityWork, officer: Officer, notice_id: str) -> dict[str, Any]:
    found = await uow.notices.get(notice_id)
    officer.check_scope(found.township_code or found.division_code)
    counts = await uow.views.notice_counts(notice_id)
    return {**asdict(found), "closes_on": found.closes_on, "by_status": counts}


async def certification(uow: EligibilityWork, officer: Officer, certification_id: str,
                        period: str | None, purpose: str) -> dict[str, Any]:
    found = await uow.certifications.get(certification_id)
    officer.check_scope(found.township_code or found.division_code)
    recorded_read(uow, officer, purpose, found.person_key, "certification", certification_id)
    history = await uow.views.certification_history(certification_id)
    reviewed_by, approved_by = await uow.views.certification_officers(certification_id)
    view: dict[str, Any] = {
        **asdict(found), "reviewed_by": reviewed_by, "approved_by": approved_by,
        "renewal_deadline": renewal_deadline(found.valid_until,
                                             uow.terms.grace_days(found.program_code)),
        "history": history}
    if period is not None:
        view["period"] = _owed(uow.policies, found.program_code, found.category,
                               found.division_code, period)
    return view


def _owed(policies: PolicyCatalogue, program_code: str, category: str, division: str,
          period: str) -> dict[str, Any]:
    """The version in force on the period's first day for the division, and its amount."""
    try:
        start = period_start(period)
        policy = policies.in_force(program_code, start, division)
        amount = policies.amount_for(program_code, category, period, division)
    except (KeyError, ValueError) as exc:
        raise InvalidRequest(f"period {period}: {exc}") from exc
    return {"period": period, "policy_version": policy.version, "amount_fen": amount,
            "frequency": policy.frequency}


async def timeliness(uow: EligibilityWork, officer: Officer, division: str, period: str
                     ) -> dict[str, Any]:
    officer.check_scope(division)
    try:
        first, after = month_bounds(period)
    except ValueError as exc:
        raise InvalidRequest("period must be YYYY-MM") from exc
    deadline = uow.terms.decision_deadline_days
    zone = uow.zone
    start, end = datetime.combine(first, time(), zone), datetime.combine(after, time(), zone)
    parts = [Timeliness(*row) for row in await uow.views.decisions(division, start, end,
                                                                   deadline)]
    overdue = await uow.views.overdue(division, end - timedelta(days=deadline), end)
    total = Timeliness(division, sum(p.decided for p in parts),
                       sum(p.within_deadline for p in parts))
    return {"division_code": division, "period": period, "deadline_days": deadline,
            "decided": total.decided, "within_deadline": total.within_deadline,
            "rate": total.rate, "overdue_undecided": overdue,
            "by_division": [{"division_code": p.division_code, "decided": p.decided,
                             "within_deadline": p.within_deadline, "rate": p.rate}
                            for p in parts]}
