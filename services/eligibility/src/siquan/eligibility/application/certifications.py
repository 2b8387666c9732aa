"""After certification: the lapse of what was not re-confirmed by the deadline (the
re-confirmation itself is `reconfirmation`) and the county's own suspensions,
reinstatements and revocations (loss of status). Each change is a history row and an
event, in one unit of work; the certification is locked while it changes, so a renewal and
the lapse racing it take turns (the lapse skips what a renewal holds)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from siquan.eligibility.application import events
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.shared.auth import Officer

Action = Literal["suspend", "reinstate", "revoke"]


@dataclass(frozen=True)
class DecideCertification:
    """A county officer suspends, reinstates or revokes one certification."""

    officer: Officer
    certification_id: str
    action: Action
    reason: str
    effective_from: date | None = None


async def record(uow: Work, changed: Sequence[tuple[Certification, Change]]) -> None:
    """Store the changes and publish one event for each."""
    if not changed:
        return
    await uow.certifications.record(changed, uow.now())
    for certification, change in changed:
        uow.publish(events.changed(certification, change))


async def lapse_unrenewed(uow: Work, *, limit: int = 1_000) -> int:
    """One step of the deadlines loop: lapse up to `limit` live certifications whose
    renewal deadline has passed; how many were due (fewer than `limit`: none is left)."""
    today, terms = uow.today(), uow.terms
    due = await uow.certifications.due_to_lapse(
        today, terms.renewal_grace_days, terms.renewal_grace_by_program, limit)
    await record(uow, [(c, ch) for c in due
                       if (ch := c.lapse_if_due(today, terms.grace_days(c.program_code)))])
    return len(due)


async def decide(command: DecideCertification, uow: Work) -> Certification:
    c = command
    if not c.reason.strip():
        raise InvalidRequest("a reason is required")
    when = c.effective_from or uow.today()
    certification = await uow.certifications.get(c.certification_id, for_update=True)
    check_scope(c.officer, certification)
    step: Callable[[date, str, str], Change] = {
        "suspend": certification.suspend, "reinstate": certification.reinstate,
        "revoke": certification.revoke}[c.action]
    await record(uow, [(certification, step(when, c.reason, c.officer.id))])
    return certification


def check_scope(officer: Officer, certification: Certification) -> None:
    officer.check_scope(certification.township_code or certification.division_code)
