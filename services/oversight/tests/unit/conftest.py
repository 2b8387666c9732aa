"""Unit tests run oversight's handlers on its in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
