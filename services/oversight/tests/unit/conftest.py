"""Unit tests run oversight's handlers on its in-memory unit of work."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from siquan.contracts import eligibility_v1 as eligibility
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.shared.clock import FixedClock

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def uow(clock: FixedClock) -> FakeOversightWork:
    """One transaction (a batch, when several messages are received in it)."""
    return FakeOversightWork(clock)


Granted = Callable[[], eligibility.CertificationGranted]


@pytest.fixture
def granted() -> Granted:
    """A new certification of special assistance in division 420117 each call."""
    def grant() -> eligibility.CertificationGranted:
        return eligibility.CertificationGranted(
            certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
            program_code="special_assistance", category="death", policy_version="v",
            person_key=secrets.token_hex(32), masked_name="王*",
            masked_resident_id="4201**********0011", division_code="420117",
            effective_from=date(2026, 1, 1), reviewed_by="r", approved_by="a",
            approved_at=datetime(2026, 1, 1, tzinfo=UTC))
    return grant
