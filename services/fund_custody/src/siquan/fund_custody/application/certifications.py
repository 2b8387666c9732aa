"""Certification counts (for the fund forecast): granted adds one, revoked removes one.
Only the certification id is kept, never anything that identifies the person."""

from __future__ import annotations

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.fund_custody.adapters import certifications
from siquan.fund_custody.application.events import event_of
from siquan.shared.consumer import Received


async def on_certification_granted(r: Received) -> None:
    event = event_of(r, CertificationGranted)
    await certifications.grant(r.conn, event.certification_id, event.program_code,
                               event.division_code, event.category)


async def on_certification_revoked(r: Received) -> None:
    event = event_of(r, CertificationRevoked)
    await certifications.revoke(r.conn, event.certification_id, event.program_code,
                                event.division_code)
