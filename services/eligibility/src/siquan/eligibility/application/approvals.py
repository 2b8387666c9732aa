"""County re-check and approval (复核, 审批确认): only entries of a closed notice without an
open objection, by an officer who took no earlier step; each approval grants a
certification under the policy version in force that day, valid to the end of the year.
A batch is refused whole when any named application may not be approved; entries of a
notice that an open objection blocks are left for later and reported."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from siquan.eligibility.adapters import certifications, notices, outbox_batch, repository
from siquan.eligibility.adapters.certifications import Granted
from siquan.eligibility.application import events
from siquan.eligibility.application.context import Context
from siquan.eligibility.application.notices import close_due_notices, close_if_due
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.certification import Certification, first_valid_until
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.shared.auth import Officer
from siquan.shared.database import Connection


@dataclass
class ApprovalResult:
    certified: list[dict[str, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    blocked: list[dict[str, str]] = field(default_factory=list)


async def approve(ctx: Context, officer: Officer, *, notice_id: str | None,
                  application_ids: Sequence[str], rejections: dict[str, str]
                  ) -> ApprovalResult:
    if (notice_id is None) == (not application_ids):
        raise InvalidRequest("name either a notice or the applications to approve")
    if len(application_ids) + len(rejections) > ctx.settings.max_batch:
        raise InvalidRequest(f"a batch takes at most {ctx.settings.max_batch} applications")
    await close_due_notices(ctx)
    now = ctx.clock.now()
    result = ApprovalResult()
    async with ctx.pool.acquire() as conn, conn.transaction():
        candidates = await _candidates(ctx, conn, officer, notice_id, application_ids,
                                       rejections)
        for application in candidates:
            officer.check_scope(application.scope)
        to_reject = [a for a in candidates if a.id in rejections]
        for application in to_reject:
            application.reject_at_county(officer.id, rejections[application.id], now)
            result.rejected.append(application.id)
        to_approve = []
        for application in (a for a in candidates if a.id not in rejections):
            if notice_id is not None and application.open_objections:
                result.blocked.append({"application_id": application.id,
                                       "reason": "an objection is open"})
                continue
            application.approve(officer.id, now)
            to_approve.append(application)
        if not to_approve and not to_reject:
            raise Refused(f"nothing to approve on notice {notice_id}: "
                          f"{len(result.blocked)} entries wait for objections to be resolved")
        granted = _grant(ctx, officer, to_approve, now)
        await repository.save_many(conn, [*to_reject, *to_approve])
        await certifications.add_many(conn, granted)
        await outbox_batch.add_many(conn, ctx.outbox, [
            *(events.reviewed(a, stage="county", by=officer.id, at=now) for a in to_reject),
            *(events.granted(a, g) for a, g in zip(to_approve, granted, strict=True))])
        result.certified = [{"application_id": g.certification.application_id,
                             "certification_id": g.certification.id} for g in granted]
    return result


async def _candidates(ctx: Context, conn: Connection, officer: Officer, notice_id: str | None,
                      ids: Sequence[str], rejections: dict[str, str]) -> list[Application]:
    if notice_id is None:
        return await repository.get_many(conn, [*ids, *(r for r in rejections
                                                        if r not in ids)], for_update=True)
    notice = await notices.get_notice(conn, notice_id, for_update=True)
    officer.check_scope(notice.township_code or notice.division_code)
    await close_if_due(ctx, conn, notice)
    if notice.status == "open":
        raise Refused(f"notice {notice_id} is posted until {notice.closes_on}; its entries "
                      "can be approved only after it closes")
    candidates = await repository.in_notice(conn, notice_id, "notice_closed")
    unknown = set(rejections) - {a.id for a in candidates}
    if unknown:
        raise Refused(f"application {sorted(unknown)[0]} is not an entry of notice "
                      f"{notice_id} awaiting approval")
    return candidates


def _grant(ctx: Context, officer: Officer, applications: list[Application], now: datetime
           ) -> list[Granted]:
    granted = []
    for a in applications:
        policy = ctx.catalogue.in_force(a.program_code, now.date(), a.division_code)
        certification = Certification(
            id=str(uuid.uuid4()), application_id=a.id, program_code=a.program_code,
            category=a.category, policy_version=policy.version, person_key=a.person_key,
            division_code=a.division_code, township_code=a.township_code,
            effective_from=a.eligible_from,
            valid_until=first_valid_until(a.eligible_from, now.date()))
        granted.append(Granted(certification, a.reviewed_by or "", officer.id, now))
    return granted
