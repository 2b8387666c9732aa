"""A second major version of the public-security partner's death report, for the tests
only: `death.reported.v2` renames `date_of_death` to `died_on` and adds the register that
recorded it. It stands in for the real `death.reported.v2` (which names a resident ID and
so has no upcaster from v1): the fixture registers it and its upcaster for one test and
restores the real registry afterwards."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field

from siquan.contracts import base, upcasting
from siquan.contracts.base import Event, all_models, register
from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.types import PersonKey
from siquan.contracts.upcasting import register_upcaster


class DeathReportedV2(Event):
    """The household register (or a hospital) records a death."""

    producer = "partner.public_security"
    routing_key = "death.reported.v2"
    report_id: str = Field(description="The partner's report identifier")
    person_key: PersonKey
    died_on: str = Field(description="Date of death (ISO 8601)")
    recorded_by: Literal["household_register", "hospital"] = Field(
        description="Which register recorded the death")


def upcast_v1_v2(old: DeathReported) -> DeathReportedV2:
    return DeathReportedV2(report_id=old.report_id, person_key=old.person_key,
                           died_on=old.date_of_death.isoformat(),
                           recorded_by="household_register")


@pytest.fixture
def death_reported_v2(monkeypatch: pytest.MonkeyPatch) -> type[DeathReportedV2]:
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    monkeypatch.setattr(upcasting, "_UPCASTERS", dict(upcasting._UPCASTERS))
    all_models()  # the catalogue is imported before v2 joins it
    register(DeathReportedV2)
    register_upcaster(DeathReported, DeathReportedV2, upcast_v1_v2)
    return DeathReportedV2
