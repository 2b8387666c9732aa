"""Certification counts (for the fund forecast): granted adds one, revoked or lapsed
removes one; a suspension, reinstatement or renewal leaves the certified head count as it
is. Only the certification id is kept, never anything that identifies the person. A change
of the head count makes the program's open forecasts in the division due again."""

from __future__ import annotations

from siquan.contracts.eligibility_v1 import (
    CertificationGranted,
    CertificationLapsed,
    CertificationRevoked,
)
from siquan.fund_custody.adapters import certifications
from siquan.fund_custody.application.events import event_of
from siquan.shared.consumer import Received


async def on_certification_granted(r: Received) -> None:
    event = event_of(r, CertificationGranted)
    await certifications.grant(r.conn, event.certification_id, event.program_code,
                               event.division_code, event.category)
    await certifications.roster_changed(r.conn, event.program_code, event.division_code)


async def on_certification_revoked(r: Received) -> None:
    event = event_of(r, CertificationRevoked)
    await certifications.revoke(r.conn, event.certification_id, event.program_code,
                                event.division_code)
    await certifications.roster_changed(r.conn, event.program_code, event.division_code)


async def on_certification_lapsed(r: Received) -> None:
    event = event_of(r, CertificationLapsed)
    await certifications.revoke(r.conn, event.certification_id, event.program_code,
                                event.division_code)
    await certifications.roster_changed(r.conn, event.program_code, event.division_code)


async def on_head_count_unchanged(r: Received) -> None:
    """Renewed, suspended, reinstated: still certified, the count does not move."""
