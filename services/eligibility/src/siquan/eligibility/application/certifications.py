"""After certification: the yearly re-confirmation (renewal by the county, lapse of what
was not renewed by the deadline) and the county's own suspensions, reinstatements and
revocations (loss of status). Each change is a history row and an event, in one
transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from siquan.eligibility.adapters import certifications, outbox_batch
from siquan.eligibility.application import events
from siquan.eligibility.application.context import Context
from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.shared.auth import Officer
from siquan.shared.database import Connection


async def save(ctx: Context, conn: Connection,
               changed: Sequence[tuple[Certification, Change]]) -> None:
    if not changed:
        return
    await certifications.record_changes(conn, changed, ctx.clock.now())
    await outbox_batch.add_many(conn, ctx.outbox, [events.changed(c, ch) for c, ch in changed])


async def renew(ctx: Context, officer: Officer, year: int, ids: Sequence[str]) -> int:
    """Re-confirm certifications for `year`; all or nothing."""
    if not ids or len(ids) > ctx.settings.max_batch:
        raise InvalidRequest(f"name 1 to {ctx.settings.max_batch} certifications")
    if len(set(ids)) != len(ids):
        raise InvalidRequest("a certification appears twice in the batch")
    today = ctx.clock.today()
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await certifications.get_many(conn, ids, for_update=True)
        for certification in found:
            _check_scope(officer, certification)
        changed = [(c, c.renew(year, today, ctx.settings.renewal_grace_days, officer.id))
                   for c in found]
        await save(ctx, conn, changed)
    return len(changed)


async def lapse_unrenewed(ctx: Context, *, limit: int = 1_000) -> int:
    """Lapse, in chunks, every live certification whose renewal deadline has passed."""
    today = ctx.clock.today()
    last_valid = today - timedelta(days=ctx.settings.renewal_grace_days + 1)
    total = 0
    while True:
        async with ctx.pool.acquire() as conn, conn.transaction():
            due = await certifications.due_to_lapse(conn, last_valid, limit)
            changed = [(c, ch) for c in due
                       if (ch := c.lapse_if_due(today, ctx.settings.renewal_grace_days))]
            await save(ctx, conn, changed)
        total += len(changed)
        if len(due) < limit:
            return total


async def decide(ctx: Context, officer: Officer, certification_id: str, action: str,
                 effective_from: date | None, reason: str) -> Certification:
    """A county officer suspends, reinstates or revokes one certification."""
    if not reason.strip():
        raise InvalidRequest("a reason is required")
    when = effective_from or ctx.clock.today()
    async with ctx.pool.acquire() as conn, conn.transaction():
        certification = await certifications.get(conn, certification_id, for_update=True)
        _check_scope(officer, certification)
        step: Callable[[date, str, str], Change] = {
            "suspend": certification.suspend, "reinstate": certification.reinstate,
            "revoke": certification.revoke}[action]
        await save(ctx, conn, [(certification, step(when, reason, officer.id))])
    return certification


def _check_scope(officer: Officer, certification: Certification) -> None:
    officer.check_scope(certification.township_code or certification.division_code)
