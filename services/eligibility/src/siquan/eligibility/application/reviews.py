"""Community review (群众评议) and township review (调查审核), one application or a batch in
one unit of work. A batch is all or nothing: one application out of scope or in the wrong
state refuses the whole command, naming it, and nothing changes. The applications are
locked while they are reviewed, so two officers reviewing the same one take turns and the
second is refused."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from siquan.eligibility.application import events
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class Verdicts:
    """Applications passed or approved, and those failed or rejected with their reasons."""

    passed: Sequence[str]
    failed: dict[str, str]

    def ids(self, limit: int) -> list[str]:
        ids = [*self.passed, *self.failed]
        if not ids:
            raise InvalidRequest("name at least one application")
        if len(ids) > limit:
            raise InvalidRequest(f"a batch takes at most {limit} applications")
        if len(set(ids)) != len(ids):
            raise InvalidRequest("an application appears twice in the batch")
        return ids


@dataclass(frozen=True)
class RecordCommunityReview:
    officer: Officer
    division_code: str
    held_on: date
    present: int
    verdicts: Verdicts


@dataclass(frozen=True)
class ReviewApplications:
    """The township review of each application: approved, or rejected with a reason."""

    officer: Officer
    verdicts: Verdicts


async def _load_in_scope(uow: Work, officer: Officer, ids: list[str]) -> list[Application]:
    applications = await uow.applications.get_many(ids, for_update=True)
    for application in applications:
        officer.check_scope(application.scope)
    return applications


async def record_community_review(command: RecordCommunityReview, uow: Work
                                  ) -> dict[str, object]:
    c, officer = command, command.officer
    officer.check_scope(c.division_code)
    county, township = split_division(c.division_code)
    now = uow.now()
    if c.held_on > uow.today():
        raise Refused(f"a community review held on {c.held_on} cannot be recorded before it")
    ids = c.verdicts.ids(uow.terms.max_batch)
    review_id = str(uuid.uuid4())
    applications = await _load_in_scope(uow, officer, ids)
    failed = c.verdicts.failed
    for application in applications:
        if not application.scope.startswith(c.division_code):
            raise Refused(f"application {application.id} belongs to {application.scope}, "
                          f"not to {c.division_code} where the meeting was held")
        application.record_community_review(officer.id, review_id, application.id not in failed,
                                            failed.get(application.id, ""), now)
    await uow.community_reviews.add(
        review_id=review_id, scope=c.division_code, held_on=c.held_on, present=c.present,
        passed=len(c.verdicts.passed), failed=len(failed), by=officer.id, at=now)
    await uow.applications.save(applications)
    for part in events.community_review_parts(
            review_id=review_id, division=county, township=township, held_on=c.held_on,
            present=c.present, by=officer.id, at=now, apps=applications, reasons=failed,
            part_size=uow.terms.event_part_size):
        uow.publish(part)
    return {"review_id": review_id, "passed": len(c.verdicts.passed), "failed": len(failed)}


async def review(command: ReviewApplications, uow: Work) -> list[Application]:
    officer, verdicts = command.officer, command.verdicts
    ids = verdicts.ids(uow.terms.max_batch)
    now = uow.now()
    applications = await _load_in_scope(uow, officer, ids)
    for application in applications:
        rejected = application.id in verdicts.failed
        application.review(officer.id, "rejected" if rejected else "approved",
                           verdicts.failed.get(application.id, ""), now)
    await uow.applications.save(applications)
    for application in applications:
        uow.publish(events.reviewed(application, stage="township", by=officer.id, at=now))
    return applications
