"""Objections to a notice entry (公示异议), as oversight reports them: a filed objection
blocks the entry's approval; its resolution unblocks it, or ends the application when the
objection was upheld.

The application is locked first, so an objection and an approval of the same entry take
turns: the approval sees the objection, or the objection comes after the certification.
Filing and resolving commute — a resolution that arrives before its filing records the
objection resolved, and the late filing changes nothing."""

from __future__ import annotations

from siquan.contracts.oversight_v1 import ComplaintFiled, ComplaintResolved
from siquan.eligibility.application import events
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.errors import NotFound
from siquan.shared.consumer import RuleBroken
from siquan.shared.registry import handles


async def _objected_to(uow: Work, application_id: str, complaint_id: str) -> Application:
    try:
        return await uow.applications.get(application_id, for_update=True)
    except NotFound as exc:  # eligibility published every id oversight may name
        raise RuleBroken(f"complaint {complaint_id} names no known application") from exc


@handles(ComplaintFiled)
async def block_the_entry(event: ComplaintFiled, uow: Work) -> None:
    if event.category != "notice_objection" or event.application_id is None:
        return
    application = await _objected_to(uow, event.application_id, event.complaint_id)
    await uow.objections.file(event.complaint_id, application.id, event.filed_at)


@handles(ComplaintResolved)
async def settle_the_objection(event: ComplaintResolved, uow: Work) -> None:
    if event.application_id is None:
        return
    application = await _objected_to(uow, event.application_id, event.complaint_id)
    await uow.objections.resolve(
        complaint_id=event.complaint_id, application_id=application.id,
        outcome=event.outcome, resolution=event.resolution, by=event.resolved_by,
        at=event.resolved_at)
    if event.outcome != "upheld":
        return
    now = uow.now()
    if application.end("notice_objection", event.resolved_by,
                       f"notice objection upheld: {event.resolution}", now):
        await uow.applications.save([application])
        uow.publish(events.reviewed(application, stage="notice_objection",
                                    by=event.resolved_by, at=now))
