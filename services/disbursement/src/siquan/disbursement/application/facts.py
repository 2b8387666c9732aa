"""Keeping the local copies current: certifications granted and revoked (eligibility),
deaths (public security), holds placed and lifted (oversight). Each handler runs inside
the consumer's transaction with its inbox row."""

from __future__ import annotations

from typing import TypeVar

from siquan.contracts.base import Event
from siquan.contracts.eligibility_v1 import (
    CertificationGranted,
    CertificationLapsed,
    CertificationReinstated,
    CertificationRenewed,
    CertificationRevoked,
    CertificationSuspended,
)
from siquan.contracts.oversight_v1 import HoldLifted, HoldPlaced
from siquan.contracts.public_security_v1 import DeathReported
from siquan.disbursement.adapters import facts
from siquan.disbursement.domain.certification import benefits_end_after_death
from siquan.shared.consumer import Received, RuleBroken

E = TypeVar("E", bound=Event)


def event_of(received: Received, kind: type[E]) -> E:
    if not isinstance(received.event, kind):
        raise RuleBroken(f"expected {kind.__name__}, got {type(received.event).__name__}")
    return received.event


async def on_certification_granted(r: Received) -> None:
    await facts.add_certification(r.conn, event_of(r, CertificationGranted))


async def on_certification_revoked(r: Received) -> None:
    await facts.add_revocation(r.conn, event_of(r, CertificationRevoked))


async def on_certification_lapsed(r: Received) -> None:
    """Not re-confirmed by the deadline: it ends like a revocation, from its date."""
    event = event_of(r, CertificationLapsed)
    await facts.end_certification(r.conn, event.certification_id, event.effective_from,
                                  f"lapsed: {event.reason}", event.decided_by)


async def on_certification_suspended(r: Received) -> None:
    """Nothing is paid on a suspended certification until it is reinstated; it works as a
    hold on that person and program, checked at run start and again before the bank. Its
    dates are kept: a period it covered entirely is not owed later as an arrear."""
    event = event_of(r, CertificationSuspended)
    await facts.place_suspension(r.conn, event.certification_id, event.person_key,
                                 event.program_code, event.reason, event.effective_from)


async def on_certification_reinstated(r: Received) -> None:
    event = event_of(r, CertificationReinstated)
    await facts.lift_suspension(r.conn, event.certification_id, event.person_key,
                                event.reason, event.effective_from)


async def on_certification_renewed(r: Received) -> None:
    """A renewal changes nothing here: a certification is owed until it ends (revoked,
    lapsed, death); the renewal is what keeps the lapse from coming."""
    event_of(r, CertificationRenewed)


async def on_death_reported(r: Received) -> None:
    event = event_of(r, DeathReported)
    await facts.add_death(r.conn, person_key=event.person_key, report_id=event.report_id,
                          date_of_death=event.date_of_death,
                          benefits_end=benefits_end_after_death(event.date_of_death))


async def on_hold_placed(r: Received) -> None:
    await facts.place_hold(r.conn, event_of(r, HoldPlaced))


async def on_hold_lifted(r: Received) -> None:
    await facts.lift_hold(r.conn, event_of(r, HoldLifted))
