"""Events published by the public-security partner, major version 2,
on `siquan.partner.public_security`.

Version 2 names the dead person by the resident ID the population register keeps, so the
partner needs no secret of this system. The message is bound to eligibility's queue
alone (it resolves the ID); every other service learns of the death from eligibility's
own events (`certification.revoked` with the date of death in its reason)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from siquan.contracts.base import Event, register
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import ResidentId


class DeathReportedV2(Event):
    """The household register records a death; benefits end from the month after it."""

    producer = "partner.public_security"
    routing_key = RoutingKey.DEATH_REPORTED_V2
    report_id: str = Field(min_length=1, max_length=64,
                           description="The partner's report identifier")
    resident_id: ResidentId
    date_of_death: date = Field(description="Date of death in the household register")


register(DeathReportedV2)
