"""What eligibility does when another power or a partner reports something. Each handler
runs in the consumer's transaction with its inbox row, so a redelivery changes nothing.

- an objection to a notice entry (`complaint.filed`, notice_objection) blocks approval;
- its resolution (`complaint.resolved`) unblocks it, or rejects the application if upheld;
- an accountability finding (`finding.raised`) suspends or revokes a certification;
- a death (`death.reported`) revokes every live certification of the person from the
  first day of the next month and ends the person's live applications.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from siquan.contracts.oversight_v1 import ComplaintFiled, ComplaintResolved, FindingRaised
from siquan.contracts.public_security_v1 import DeathReported
from siquan.eligibility.adapters import certifications, notices, repository
from siquan.eligibility.application import events
from siquan.eligibility.application.context import Context
from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.errors import NotFound
from siquan.shared.consumer import Received, RuleBroken

log = logging.getLogger(__name__)
E = TypeVar("E")


def _event(r: Received, kind: type[E]) -> E:
    if not isinstance(r.event, kind):
        raise RuleBroken(f"expected {kind.__name__}, got {type(r.event).__name__}")
    return r.event


async def on_complaint_filed(ctx: Context, r: Received) -> None:
    complaint = _event(r, ComplaintFiled)
    if complaint.category != "notice_objection" or complaint.application_id is None:
        return
    if not await notices.application_exists(r.conn, complaint.application_id):
        raise RuleBroken(f"objection {complaint.complaint_id} names no known application")
    await notices.file_objection(r.conn, complaint.complaint_id, complaint.application_id,
                                 complaint.filed_at)


async def on_complaint_resolved(ctx: Context, r: Received) -> None:
    resolved = _event(r, ComplaintResolved)
    if resolved.application_id is None:
        return
    if not await notices.application_exists(r.conn, resolved.application_id):
        raise RuleBroken(f"complaint {resolved.complaint_id} names no known application")
    await notices.resolve_objection(
        r.conn, complaint_id=resolved.complaint_id, application_id=resolved.application_id,
        outcome=resolved.outcome, resolution=resolved.resolution, by=resolved.resolved_by,
        at=resolved.resolved_at)
    if resolved.outcome != "upheld":
        return
    application = await repository.get(r.conn, resolved.application_id, for_update=True)
    if application.end("notice_objection", resolved.resolved_by,
                       f"notice objection upheld: {resolved.resolution}", ctx.clock.now()):
        await repository.save_many(r.conn, [application])
        await r.publish(events.reviewed(application, stage="notice_objection",
                                        by=resolved.resolved_by, at=ctx.clock.now()))


async def on_finding_raised(ctx: Context, r: Received) -> None:
    finding = _event(r, FindingRaised)
    if finding.decision == "none" or finding.certification_id is None:
        return
    try:
        certification = await certifications.get(r.conn, finding.certification_id,
                                                  for_update=True)
    except NotFound as exc:
        raise RuleBroken(str(exc)) from exc
    if not certification.live or (finding.decision == "suspend"
                                  and certification.status == "suspended"):
        log.info("finding %s: certification %s is already %s", finding.finding_id,
                 certification.id, certification.status)
        return
    actor, reason = f"finding:{finding.finding_id}", f"{finding.category}: {finding.reason}"
    day = finding.raised_at.date()
    change = (certification.suspend(day, reason, actor) if finding.decision == "suspend"
              else certification.revoke(day, reason, actor))
    await _record(ctx, r, [(certification, change)])


async def on_death_reported(ctx: Context, r: Received) -> None:
    death = _event(r, DeathReported)
    live = await certifications.live_of_person(r.conn, death.person_key)
    changed = [(c, ch) for c in live if (ch := c.revoke_for_death(death.date_of_death))]
    await _record(ctx, r, changed)
    now = ctx.clock.now()
    ended = [a for a in await repository.live_of_person(r.conn, death.person_key)
             if a.end("death_reported", "system",
                      f"applicant died on {death.date_of_death}", now)]
    await repository.save_many(r.conn, ended)
    for application in ended:
        await r.publish(events.reviewed(application, stage="death_reported", by="system",
                                        at=now))


async def _record(ctx: Context, r: Received, changed: list[tuple[Certification, Change]]
                  ) -> None:
    if not changed:
        return
    await certifications.record_changes(r.conn, changed, ctx.clock.now())
    for certification, change in changed:
        await r.publish(events.changed(certification, change))
