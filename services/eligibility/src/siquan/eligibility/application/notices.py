"""The public notice (张榜公示): post township-reviewed applications of one program and one
division for the policy's number of days, then close the notice when its days are over.
Closing is a step of the deadlines loop and happens again inside every approval that
meets a due notice, so an approval never waits on the loop's timing. Notices are locked
before their entries everywhere, so closing and approving never deadlock."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from siquan.eligibility.application import events
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.notice import PublicNotice
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class PublishNotice:
    """Post the named applications, or every township-reviewed one of the program in the
    division (up to the batch limit)."""

    officer: Officer
    program_code: str
    division_code: str
    application_ids: Sequence[str] | None = None


async def publish_notice(command: PublishNotice, uow: Work) -> PublicNotice:
    c = command
    c.officer.check_scope(c.division_code)
    county, township = split_division(c.division_code)
    today = uow.today()
    try:
        policy = uow.policies.in_force(c.program_code, today, county)
    except KeyError as exc:
        raise InvalidRequest(str(exc.args[0])) from exc
    limit = uow.terms.max_batch
    if c.application_ids is not None and len(c.application_ids) > limit:
        raise InvalidRequest(f"a notice takes at most {limit} applications")
    if c.application_ids:
        applications = await uow.applications.get_many(c.application_ids, for_update=True)
    else:
        applications = await uow.applications.awaiting_notice(c.program_code, c.division_code,
                                                               limit)
    if not applications:
        raise Refused(f"no township-reviewed application of {c.program_code} in "
                      f"{c.division_code} is waiting for a notice")
    notice = PublicNotice(str(uuid.uuid4()), c.program_code, policy.version, county,
                          township, policy.notice_days, today, len(applications))
    for application in applications:
        application.post_on_notice(notice.id, c.program_code, c.division_code)
    await uow.notices.add(notice, c.officer.id, uow.now())
    await uow.applications.save(applications)
    for part in events.notice_parts(notice, applications, by=c.officer.id,
                                    part_size=uow.terms.event_part_size):
        uow.publish(part)
    await close_if_due(uow, notice)  # a program without a notice period closes at once
    return notice


async def close_due_notices(uow: Work, *, limit: int = 100) -> int:
    """One step of the deadlines loop: close notices whose days are over (those another
    instance is closing are skipped); how many were closed."""
    due = await uow.notices.due(uow.today(), limit)
    for notice in due:
        await close_if_due(uow, notice)
    return len(due)


async def close_if_due(uow: Work, notice: PublicNotice) -> None:
    """Close a locked notice now if its days are over."""
    if notice.is_due(uow.today()):
        notice.close(uow.today())
        blocked = await uow.notices.close(notice)
        uow.publish(events.notice_closed(notice, blocked))
