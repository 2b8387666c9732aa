"""`offsets.apply_offsets`: receivables oldest first, payments oldest period first, never
below zero on either side; only the person themself or their household."""

from __future__ import annotations

from datetime import UTC, datetime

from siquan.disbursement.domain.offsets import OpenReceivable, apply_offsets
from siquan.disbursement.domain.roster import PayeeAccount, PlannedPayment

ACCOUNT = PayeeAccount("102", "6222000000000001")
EARLY, LATE = datetime(2031, 2, 1, tzinfo=UTC), datetime(2031, 3, 1, tzinfo=UTC)


def _payment(period: str, fen: int, *, arrear: bool = False) -> PlannedPayment:
    return PlannedPayment("c-2", "p-2", period, fen, ACCOUNT, arrear=arrear)


def _owed(receivable_id: str, fen: int, at: datetime, *, person: str = "p-1",
          households: frozenset[str] = frozenset({"h"})) -> OpenReceivable:
    return OpenReceivable(receivable_id, person, households, fen, at)


def test_the_oldest_receivable_takes_the_oldest_period_first_and_the_rest_is_paid() -> None:
    late, early = _owed("r-late", 500, LATE), _owed("r-early", 14_000, EARLY)
    left, taken = apply_offsets([_payment("2031-05", 21_000),
                                 _payment("2031-04", 21_000, arrear=True)], "h", [late, early])
    assert [(t.receivable_id, t.period, t.offset_fen, t.arrear) for t in taken] == [
        ("r-early", "2031-04", 14_000, True), ("r-late", "2031-04", 500, True)]
    assert [(p.period, p.amount_fen) for p in left] == [("2031-04", 6_500),
                                                        ("2031-05", 21_000)]
    assert (early.outstanding_fen, late.outstanding_fen) == (0, 0)


def test_an_entitlement_taken_whole_is_not_paid_and_the_receivable_stays_open() -> None:
    owed = _owed("r", 50_000, EARLY)
    left, taken = apply_offsets([_payment("2031-04", 21_000)], "h", [owed])
    assert left == [] and [t.offset_fen for t in taken] == [21_000]
    assert owed.outstanding_fen == 29_000


def test_other_households_are_untouched_and_the_person_is_their_own_household() -> None:
    elsewhere = _owed("r", 9_000, EARLY, households=frozenset({"other"}))
    payments = [_payment("2031-04", 21_000)]
    assert apply_offsets(payments, "h", [elsewhere]) == (payments, [])
    assert apply_offsets(payments, None, [elsewhere]) == (payments, [])
    own = _owed("r", 9_000, EARLY, person="p-2", households=frozenset())
    left, taken = apply_offsets(payments, None, [own])
    assert [p.amount_fen for p in left] == [12_000] and own.outstanding_fen == 0
    assert [(t.receivable_id, t.entitlement_fen, t.offset_fen) for t in taken] == [
        ("r", 21_000, 9_000)]
