"""A fresh in-memory county for each handler test."""

import pytest

from siquan.eligibility.testing import Cycle


@pytest.fixture
def cycle() -> Cycle:
    return Cycle()
