"""Recording an event: every verified message of every producer enters the audit chain
once, in the order its queue delivered it. The consumer runs this handler first for each
message, then the handlers of its type, all in the batch's transaction; the entries are
linked into the chain when the transaction commits (one lock on the chain's head per
batch, see ADR 0006)."""

from __future__ import annotations

from typing import Any

from siquan.contracts.base import Event
from siquan.contracts.topology import RoutingKey
from siquan.oversight.application.ports import AuditUnit
from siquan.oversight.domain.chain import LISTED_ELSEWHERE, Envelope
from siquan.oversight.domain.envelope import envelope_of
from siquan.shared.registry import audits

AUDITED = ("eligibility", "fund_custody", "disbursement", "oversight",
           "partner.public_security")
"""Every producer oversight watches, itself included."""
AUDITED_PARTNER_KEYS = (str(RoutingKey.DEATH_REPORTED),)
"""What oversight reads of public security: the deprecated `death.reported.v1` (by person
key). `death.reported.v2` names a resident ID and is bound to eligibility's queue alone;
oversight learns of those deaths from eligibility's `certification.revoked`."""


def searchable(event: Event) -> Any:
    """What the log searches of an event, when not its whole body: everything but a list
    kept elsewhere (the fields as they came, for they must match the body received)."""
    left_out = LISTED_ELSEWHERE.get(event.routing_key)
    if left_out is None:
        return None
    return event.model_dump(mode="json", exclude={left_out}, exclude_unset=True)


def received(delivery: Any) -> Envelope:
    """The envelope of a delivered message, its body exactly as it came."""
    return envelope_of(delivery.message_id, delivery.headers, searchable(delivery.event),
                       delivery.received_at, body_text=delivery.body.decode("utf-8"))


@audits(*(p for p in AUDITED if not p.startswith("partner.")))
@audits("partner.public_security", keys=AUDITED_PARTNER_KEYS)
async def log_event(event: Event, uow: AuditUnit) -> None:
    uow.audit.append(received(uow.message))
