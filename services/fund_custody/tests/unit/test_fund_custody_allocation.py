"""An allocation's life: approved once, paid never beyond its total, settled only when its
chunks add up, and a never-funded run cancelled when it completes without paying."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.special_account import AccountKey

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def waiting(total_fen: int = 10_000) -> Allocation:
    return Allocation("al-1", "run-1", "sa-1", AccountKey("special_assistance", 2026, "420117"),
                      "2026-11", 5, total_fen, NOW)


def approved(total_fen: int = 10_000) -> Allocation:
    allocation = waiting(total_fen)
    allocation.approve(NOW)
    return allocation


def test_an_approved_allocation_cannot_be_approved_again() -> None:
    allocation = approved()
    with pytest.raises(FundRuleBroken):
        allocation.approve(NOW)


def test_a_waiting_allocation_cannot_pay() -> None:
    allocation = waiting()
    with pytest.raises(FundRuleBroken):
        allocation.record_paid(1)
    assert allocation.paid_fen == 0


def test_paid_can_never_exceed_the_reserved_total() -> None:
    allocation = approved(10_000)
    allocation.record_paid(9_000)
    with pytest.raises(FundRuleBroken):
        allocation.record_paid(1_001)
    assert allocation.paid_fen == 9_000


def test_settling_releases_reserved_minus_paid() -> None:
    allocation = approved(10_000)
    allocation.record_paid(7_000)
    assert allocation.settle(7_000, 7_000, NOW) == 3_000
    assert allocation.status == "settled"
    assert allocation.released_fen + allocation.paid_fen == allocation.reserved_fen


def test_settling_refuses_a_settled_amount_the_chunks_do_not_add_up_to() -> None:
    allocation = approved(10_000)
    allocation.record_paid(7_000)
    with pytest.raises(FundRuleBroken):
        allocation.settle(8_000, 7_000, NOW)
    assert allocation.status == "approved"


def test_a_never_funded_run_that_paid_nothing_is_cancelled() -> None:
    allocation = waiting()
    assert allocation.settle(0, 0, NOW) == 0
    assert allocation.status == "cancelled"
    assert allocation.reserved_fen == 0
