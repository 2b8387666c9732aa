"""Community review (群众评议) and township review (调查审核), one application or a batch in
one transaction. A batch is all or nothing: one application out of scope or in the wrong
state refuses the whole command, naming it, and nothing changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from siquan.eligibility.adapters import notices, outbox_batch, repository
from siquan.eligibility.application import events
from siquan.eligibility.application.context import Context
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.shared.auth import Officer
from siquan.shared.database import Connection


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


async def _load_in_scope(conn: Connection, officer: Officer, ids: list[str]
                         ) -> list[Application]:
    applications = await repository.get_many(conn, ids, for_update=True)
    for application in applications:
        officer.check_scope(application.scope)
    return applications


async def record_community_review(ctx: Context, officer: Officer, *, division_code: str,
                                  held_on: date, present: int, verdicts: Verdicts
                                  ) -> dict[str, object]:
    officer.check_scope(division_code)
    county, township = split_division(division_code)
    now = ctx.clock.now()
    if held_on > now.date():
        raise Refused(f"a community review held on {held_on} cannot be recorded before it")
    ids = verdicts.ids(ctx.settings.max_batch)
    review_id = str(uuid.uuid4())
    async with ctx.pool.acquire() as conn, conn.transaction():
        applications = await _load_in_scope(conn, officer, ids)
        for application in applications:
            if not application.scope.startswith(division_code):
                raise Refused(f"application {application.id} belongs to {application.scope}, "
                              f"not to {division_code} where the meeting was held")
            application.record_community_review(
                officer.id, review_id, application.id not in verdicts.failed,
                verdicts.failed.get(application.id, ""), now)
        await notices.add_community_review(
            conn, review_id=review_id, scope=division_code, held_on=held_on, present=present,
            passed=len(verdicts.passed), failed=len(verdicts.failed), by=officer.id, at=now)
        await repository.save_many(conn, applications)
        await outbox_batch.add_many(conn, ctx.outbox, events.community_review_parts(
            review_id=review_id, division=county, township=township, held_on=held_on,
            present=present, by=officer.id, at=now, apps=applications,
            reasons=verdicts.failed, part_size=ctx.settings.event_part_size))
    return {"review_id": review_id, "passed": len(verdicts.passed),
            "failed": len(verdicts.failed)}


async def review(ctx: Context, officer: Officer, verdicts: Verdicts) -> list[Application]:
    """The township review of each application: approved, or rejected with a reason."""
    ids = verdicts.ids(ctx.settings.max_batch)
    now = ctx.clock.now()
    async with ctx.pool.acquire() as conn, conn.transaction():
        applications = await _load_in_scope(conn, officer, ids)
        for application in applications:
            rejected = application.id in verdicts.failed
            application.review(officer.id, "rejected" if rejected else "approved",
                               verdicts.failed.get(application.id, ""), now)
        await repository.save_many(conn, applications)
        await outbox_batch.add_many(conn, ctx.outbox, [
            events.reviewed(a, stage="township", by=officer.id, at=now) for a in applications])
    return applications
