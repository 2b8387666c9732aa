"""The recovery rules: which settled payments a certification's end (or a lower standard
from a month already paid) makes overpaid, how they group into receivables, and what
repayments and write-offs may do."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from siquan.disbursement.domain.errors import OutOfScope, Refused
from siquan.disbursement.domain.recovery import (
    MAKER_IS_NOT_CHECKER,
    PaidUnder,
    Receivable,
    SettledPayment,
    in_force_on,
    overpaid,
    paid_above_standard,
    receivables_of,
    status_of,
)


def _paid(period: str, ended: date | None, *, fen: int = 21_000, run_period: str | None = None,
          certification: str = "c1", item: str = "benefit") -> SettledPayment:
    return SettledPayment(f"p-{certification}-{period}-{item}", f"run-{period}",
                          run_period or period, certification, "special_assistance",
                          "420117", period, item, fen, ended, death=True)


def test_a_period_is_overpaid_only_when_it_began_on_or_after_the_end() -> None:
    ended = date(2026, 4, 1)  # died in March: nothing owed from April
    months = [_paid(f"2026-{m:02d}", ended) for m in range(1, 7)]
    assert [p.period for p in overpaid(months)] == ["2026-04", "2026-05", "2026-06"]
    mid_month = date(2026, 4, 15)  # revoked from mid-April: April was still owed
    assert [p.period for p in overpaid([_paid("2026-04", mid_month),
                                        _paid("2026-05", mid_month)])] == ["2026-05"]
    assert overpaid([_paid("2026-05", None)]) == []


def test_a_yearly_payment_is_not_overpaid_by_an_end_within_its_year() -> None:
    assert overpaid([_paid("2026", date(2026, 7, 1))]) == []
    assert [p.period for p in overpaid([_paid("2027", date(2026, 7, 1))])] == ["2027"]


def test_receivables_group_by_certification_and_the_runs_fiscal_year() -> None:
    ended = date(2026, 11, 1)
    payments = [_paid("2026-11", ended), _paid("2026-12", ended),
                _paid("2027-01", ended), _paid("2026-12", ended, run_period="2027-01",
                                               item="arrear")]
    found = receivables_of(payments)
    assert [(f.fiscal_year, f.total_fen, len(f.payments)) for f in found] == [
        (2026, 42_000, 2), (2027, 42_000, 2)]
    assert receivables_of(payments)[0].receivable_id == found[0].receivable_id
    assert found[0].cause == "death"


STANDARD = {"death": 21_000, "disability": 15_000}
LOWERED = date(2026, 4, 1)


def _standard(program: str, category: str, period: str, division: str) -> int | None:
    return STANDARD.get(category)


def _under(paid: SettledPayment, category: str, since: date = LOWERED) -> PaidUnder:
    return PaidUnder(replace(paid, death=False), category, "420117", since)


def test_a_lower_standard_makes_the_difference_of_each_period_paid_overpaid() -> None:
    months = [_under(_paid(f"2026-{m:02d}", None), "death" if m < 4 else "disability",
                     date(2026, 1, 1) if m < 4 else LOWERED) for m in range(1, 6)]
    found = paid_above_standard(months, _standard)
    assert [(p.period, p.amount_fen, p.ended_from, p.lowered) for p in found] == [
        ("2026-04", 6_000, LOWERED, True), ("2026-05", 6_000, LOWERED, True)]
    [receivable] = receivables_of(found)
    assert (receivable.cause, receivable.ended_from, receivable.total_fen) == (
        "standard_lowered", LOWERED, 12_000)
    assert receivables_of(found)[0].receivable_id == receivable.receivable_id


def test_an_equal_or_higher_or_unknown_standard_makes_nothing_overpaid() -> None:
    paid = _paid("2026-04", None, fen=15_000)
    assert paid_above_standard([_under(paid, "disability")], _standard) == []
    assert paid_above_standard([_under(paid, "death")], _standard) == []
    assert paid_above_standard([_under(paid, "orphan")], _standard) == []


def test_the_excess_comes_from_the_later_items_first_then_the_benefit() -> None:
    benefit = _paid("2026-04", None, fen=15_000)
    top_up = _paid("2026-04", None, fen=6_000, item="topup:wuhan-2026")
    # paid 21,000 for April (benefit and a top-up), 10,000 owed now
    found = paid_above_standard([_under(benefit, "reduced"), _under(top_up, "reduced")],
                                lambda *_: 10_000)
    assert [(p.item, p.amount_fen) for p in found] == [("topup:wuhan-2026", 6_000),
                                                       ("benefit", 5_000)]


def test_a_period_after_the_end_is_left_to_the_end_and_both_become_two_receivables(
        ) -> None:
    ended = date(2026, 5, 1)
    april, may = _paid("2026-04", ended), _paid("2026-05", ended)
    lowered = paid_above_standard([_under(april, "disability"), _under(may, "disability")],
                                  _standard)
    assert [p.period for p in lowered] == ["2026-04"]
    found = receivables_of([may, *lowered])
    assert sorted((f.cause, f.total_fen) for f in found) == [
        ("death", 21_000), ("standard_lowered", 6_000)]
    assert len({f.receivable_id for f in found}) == 2


def test_the_span_in_force_is_the_latest_begun_by_the_periods_first_day() -> None:
    spans = [(date(2026, 1, 10), "death", "420117"), (LOWERED, "disability", "420117")]
    assert in_force_on(spans, "2026-01") == spans[0]  # began within the period
    assert in_force_on(spans, "2026-03") == spans[0]
    assert in_force_on(spans, "2026-04") == spans[1]
    assert in_force_on([], "2026-04") is None


def test_repayments_never_exceed_what_is_outstanding() -> None:
    receivable = Receivable("r", 63_000)
    receivable.repay("a", 20_000, "officer-1")
    assert (receivable.outstanding_fen, receivable.status) == (43_000, "partly_repaid")
    with pytest.raises(Refused):
        receivable.repay("b", 43_001, "officer-1")
    receivable.repay("b", 43_000, "officer-1")
    assert (receivable.outstanding_fen, receivable.status) == (0, "repaid")
    with pytest.raises(Refused):
        receivable.repay("c", 1, "officer-1")


def test_a_write_off_needs_a_second_officer_and_an_unchanged_receivable() -> None:
    receivable = Receivable("r", 63_000)
    receivable.repay("a", 3_000, "maker")
    proposal = receivable.propose_write_off("w", "maker")
    assert proposal.amount_fen == 60_000
    with pytest.raises(OutOfScope, match=MAKER_IS_NOT_CHECKER):
        receivable.approve_write_off("w", "maker")
    written = receivable.approve_write_off("w", "checker")
    assert (written.amount_fen, written.recorded_by, written.approved_by) == (
        60_000, "maker", "checker")
    assert (receivable.outstanding_fen, receivable.status) == (0, "written_off")

    changed = Receivable("s", 10_000)
    changed.propose_write_off("w2", "maker")
    changed.repay("x", 1_000, "maker")
    with pytest.raises(Refused):
        changed.approve_write_off("w2", "checker")


def test_status_names_what_closed_the_most() -> None:
    assert status_of(100, {}) == "open"
    assert status_of(100, {"repayment": 40, "offset": 60}) == "offset"
    assert status_of(100, {"repayment": 50, "write_off": 50}) == "repaid"
