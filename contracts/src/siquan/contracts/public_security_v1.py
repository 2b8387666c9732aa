"""Events published by the public-security partner, major version 1,
on `siquan.partner.public_security`.

Deprecated: `death.reported.v1` names the person by the person key, which only a holder
of the person-key secret can compute. Public security reports `death.reported.v2`
(`public_security_v2`, by resident ID); version 1 is still consumed during the
transition."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from siquan.contracts.base import Event, register
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import PersonKey


class DeathReported(Event):
    """Deprecated, see `death.reported.v2`. The household register records a death;
    benefits end from the month after it."""

    producer = "partner.public_security"
    routing_key = RoutingKey.DEATH_REPORTED
    report_id: str = Field(description="The partner's report identifier")
    person_key: PersonKey
    date_of_death: date = Field(description="Date of death in the household register")


register(DeathReported)
