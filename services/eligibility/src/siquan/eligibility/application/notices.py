"""The public notice (张榜公示): post township-reviewed applications of one program and one
division for the policy's number of days, then close the notice when its days are over.
Closing runs from a background loop and again before every approval, so an approval
never waits on the loop's timing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from siquan.eligibility.adapters import notices, outbox_batch, repository
from siquan.eligibility.application import events
from siquan.eligibility.application.context import Context
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.notice import PublicNotice
from siquan.shared.auth import Officer
from siquan.shared.database import Connection


async def publish_notice(ctx: Context, officer: Officer, *, program_code: str,
                         division_code: str, application_ids: Sequence[str] | None
                         ) -> PublicNotice:
    """Post the named applications, or every township-reviewed one of the program in the
    division (up to the batch limit)."""
    officer.check_scope(division_code)
    county, township = split_division(division_code)
    today = ctx.clock.today()
    try:
        policy = ctx.catalogue.in_force(program_code, today, county)
    except KeyError as exc:
        raise InvalidRequest(str(exc.args[0])) from exc
    if application_ids is not None and len(application_ids) > ctx.settings.max_batch:
        raise InvalidRequest(f"a notice takes at most {ctx.settings.max_batch} applications")
    async with ctx.pool.acquire() as conn, conn.transaction():
        if application_ids:
            applications = await repository.get_many(conn, application_ids, for_update=True)
        else:
            applications = await repository.awaiting_notice(conn, program_code, division_code,
                                                            ctx.settings.max_batch)
        if not applications:
            raise Refused(f"no township-reviewed application of {program_code} in "
                          f"{division_code} is waiting for a notice")
        notice = PublicNotice(str(uuid.uuid4()), program_code, policy.version, county,
                              township, policy.notice_days, today, len(applications))
        for application in applications:
            application.post_on_notice(notice.id, program_code, division_code)
        await notices.add_notice(conn, notice, officer.id, ctx.clock.now())
        await repository.save_many(conn, applications)
        await outbox_batch.add_many(conn, ctx.outbox, events.notice_parts(
            notice, applications, by=officer.id, part_size=ctx.settings.event_part_size))
        if notice.is_due(today):  # a program without a notice period closes at once
            await _close(ctx, conn, notice)
    return notice


async def close_due_notices(ctx: Context, *, limit: int = 100) -> int:
    """Close the notices whose days are over; how many were closed."""
    today = ctx.clock.today()
    async with ctx.pool.acquire() as conn, conn.transaction():
        due = await notices.due_notices(conn, today, limit)
        for notice in due:
            await _close(ctx, conn, notice)
    return len(due)


async def close_if_due(ctx: Context, conn: Connection, notice: PublicNotice) -> None:
    """Close a locked notice now if its days are over (inside the caller's transaction)."""
    if notice.is_due(ctx.clock.today()):
        await _close(ctx, conn, notice)


async def _close(ctx: Context, conn: Connection, notice: PublicNotice) -> None:
    notice.close(ctx.clock.today())
    blocked = await notices.close_notice(conn, notice)
    await ctx.outbox.add(conn, events.notice_closed(notice, blocked))
