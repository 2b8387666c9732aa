"""The payment run's life: allocation must match the control totals exactly, a rejection
leaves it waiting, and it completes only when the results add up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.payment_run import PaymentRun, RunTotals

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def run() -> PaymentRun:
    return PaymentRun(id="run-1", program_code="special_assistance", period="2026-05",
                      division_code="420117", policy_version="wuhan-2012", payee_count=2,
                      total_fen=36_000, started_by="disburser-420117-01", started_at=NOW)


def allocate(r: PaymentRun, allocation_id: str = "alloc-1", amount_fen: int = 36_000,
             period: str = "2026-05") -> bool:
    return r.allocate(allocation_id=allocation_id, program_code="special_assistance",
                      period=period, division_code="420117", amount_fen=amount_fen)


def test_an_allocation_of_exactly_the_control_total_allocates_the_run() -> None:
    r = run()
    assert allocate(r) is True
    assert (r.status, r.allocation_id) == ("allocated", "alloc-1")
    assert r.fiscal_year == 2026


def test_an_allocation_of_another_amount_is_refused_and_changes_nothing() -> None:
    r = run()
    with pytest.raises(Refused, match="does not match"):
        allocate(r, amount_fen=35_999)
    assert (r.status, r.allocation_id) == ("awaiting_allocation", None)


def test_an_allocation_for_another_period_is_refused() -> None:
    with pytest.raises(Refused, match="does not match"):
        allocate(run(), period="2026-06")


def test_the_same_allocation_twice_changes_nothing_the_second_time() -> None:
    r = run()
    allocate(r)
    assert allocate(r) is False
    assert r.status == "allocated"


def test_a_second_different_allocation_is_refused() -> None:
    r = run()
    allocate(r)
    with pytest.raises(Refused, match="one too many"):
        allocate(r, allocation_id="alloc-2")
    assert r.allocation_id == "alloc-1"


def test_a_rejected_run_waits_and_a_later_approval_allocates_it() -> None:
    r = run()
    r.reject("insufficient funds")
    assert (r.status, r.rejection_reason) == ("waiting", "insufficient funds")
    allocate(r)
    assert (r.status, r.rejection_reason) == ("allocated", "")


def test_a_rejection_arriving_after_the_allocation_changes_nothing() -> None:
    r = run()
    allocate(r)
    assert r.reject("late") is False
    assert (r.status, r.rejection_reason) == ("allocated", "")


def test_a_run_completes_when_its_results_add_up_to_the_control_totals() -> None:
    r = run()
    allocate(r)
    r.complete(RunTotals(settled_count=1, settled_fen=21_000, failed_count=1,
                         failed_fen=15_000), NOW)
    assert (r.status, r.completed_at) == ("completed", NOW)


def test_a_run_with_pending_payments_does_not_complete() -> None:
    r = run()
    allocate(r)
    with pytest.raises(Refused, match="pending"):
        r.complete(RunTotals(settled_count=1, settled_fen=21_000, pending_count=1,
                             pending_fen=15_000), NOW)
    assert r.status == "allocated"


def test_a_run_whose_results_do_not_add_up_does_not_complete() -> None:
    r = run()
    allocate(r)
    with pytest.raises(Refused, match="control totals"):
        r.complete(RunTotals(settled_count=2, settled_fen=30_000), NOW)


def test_a_run_never_completes_before_its_allocation() -> None:
    with pytest.raises(Refused, match="awaiting_allocation"):
        run().complete(RunTotals(settled_count=2, settled_fen=36_000), NOW)
