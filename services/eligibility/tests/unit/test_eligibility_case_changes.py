"""Transfers between counties and changes of category: who may decide, from which month,
and what the certification is afterwards."""

from datetime import UTC, date, datetime

import pytest

from siquan.eligibility.domain.case_changes import CategoryChange, Transfer
from siquan.eligibility.domain.certification import Certification
from siquan.eligibility.domain.errors import InvalidRequest, Refused

AT = datetime(2026, 2, 20, 9, tzinfo=UTC)
CATEGORIES = ("death", "disability")


def _certification(**changes: object) -> Certification:
    values: dict[str, object] = dict(
        id="c1", application_id="a1", program_code="special_assistance",
        category="disability", policy_version="wuhan-2012", person_key="0" * 64,
        division_code="420117001", township_code="420117001",
        effective_from=date(2026, 1, 15), valid_until=date(2026, 12, 31))
    return Certification(**{**values, **changes})  # type: ignore[arg-type]


def _transfer(certification: Certification, *, to: str = "420102",
              effective_from: date = date(2026, 4, 1), latest: date | None = None,
              to_township: str | None = None) -> Transfer:
    return Transfer.initiate("t1", certification, to_division_code=to,
                             to_township_code=to_township, effective_from=effective_from,
                             reason="moved", by="approver-a", at=AT, latest_change=latest)


def test_an_accepted_transfer_moves_the_certification_to_the_receiving_county() -> None:
    certification = _certification()
    transfer = _transfer(certification, to_township="420102003")
    assert (transfer.status, transfer.from_division_code) == ("pending", "420117001")
    assert certification.division_code == "420117001"  # nothing moves before acceptance
    transfer.accept(certification, "approver-b", AT)
    assert (transfer.status, transfer.decided_by) == ("accepted", "approver-b")
    assert (certification.division_code, certification.township_code) == (
        "420102", "420102003")


def test_a_refused_transfer_keeps_the_reason_and_moves_nothing() -> None:
    certification = _certification()
    transfer = _transfer(certification)
    with pytest.raises(InvalidRequest):
        transfer.refuse("  ", "approver-b", AT)
    transfer.refuse("papers missing", "approver-b", AT)
    assert (transfer.status, transfer.refusal_reason) == ("refused", "papers missing")
    assert certification.division_code == "420117001"
    with pytest.raises(Refused, match="already refused"):
        transfer.accept(certification, "approver-b", AT)


@pytest.mark.parametrize(("kwargs", "error", "why"), [
    ({"effective_from": date(2026, 4, 2)}, InvalidRequest, "first day of a month"),
    ({"effective_from": date(2026, 1, 1)}, Refused, "month already past"),
    ({"effective_from": date(2025, 12, 1)}, Refused, "cannot take effect before"),
    ({"latest": date(2026, 5, 1)}, Refused, "already changed from 2026-05-01"),
    ({"to": "420117"}, Refused, "already belongs"),
    ({"to": "420102001"}, InvalidRequest, "to a county"),
    ({"to_township": "420117002"}, InvalidRequest, "not in the receiving county"),
])
def test_a_transfer_is_refused(kwargs: dict[str, object], error: type[Exception],
                               why: str) -> None:
    with pytest.raises(error, match=why):
        _transfer(_certification(), **kwargs)  # type: ignore[arg-type]


def test_only_a_live_certification_is_transferred_or_accepted() -> None:
    with pytest.raises(Refused, match="revoked"):
        _transfer(_certification(status="revoked"))
    certification = _certification()
    transfer = _transfer(certification)
    certification.status = "lapsed"
    with pytest.raises(Refused, match="can only be refused"):
        transfer.accept(certification, "approver-b", AT)


def test_the_initiator_never_accepts_and_a_later_change_blocks_acceptance() -> None:
    certification = _certification()
    transfer = _transfer(certification)
    with pytest.raises(Refused, match="never the officer who initiated"):
        transfer.accept(certification, "approver-a", AT)
    with pytest.raises(Refused, match="after the transfer's month"):
        transfer.accept(certification, "approver-b", AT, latest_change=date(2026, 5, 1))
    transfer.accept(certification, "approver-b", AT, latest_change=date(2026, 4, 1))
    assert transfer.status == "accepted"


def test_a_change_of_category_applies_from_its_month() -> None:
    certification = _certification()
    change = CategoryChange.record("k1", certification, to_category="death",
                                   categories=CATEGORIES, effective_from=date(2026, 1, 1),
                                   reason=" child died ", by="approver-a", at=AT,
                                   latest_change=None)
    assert (change.from_category, change.to_category, change.reason) == (
        "disability", "death", "child died")
    assert certification.category == "death"


@pytest.mark.parametrize(("kwargs", "error", "why"), [
    ({"to_category": "disability"}, Refused, "already in that category"),
    ({"to_category": "orphan"}, InvalidRequest, "no category 'orphan'"),
    ({"reason": " "}, InvalidRequest, "needs a reason"),
    ({"effective_from": date(2026, 3, 15)}, InvalidRequest, "first day of a month"),
    ({"latest_change": date(2026, 4, 1)}, Refused, "already changed"),
])
def test_a_change_of_category_is_refused(kwargs: dict[str, object], error: type[Exception],
                                         why: str) -> None:
    certification = _certification()
    values: dict[str, object] = dict(to_category="death", categories=CATEGORIES,
                                     effective_from=date(2026, 3, 1), reason="child died",
                                     by="approver-a", at=AT, latest_change=None)
    with pytest.raises(error, match=why):
        CategoryChange.record("k1", certification, **{**values, **kwargs})  # type: ignore[arg-type]
    assert certification.category == "disability"
