"""Certification validity, yearly re-confirmation, suspension and revocation dates."""

from datetime import date

import pytest

from siquan.eligibility.domain.certification import (
    Certification,
    first_valid_until,
)
from siquan.eligibility.domain.errors import Refused


def _certification(valid_until: date = date(2026, 12, 31)) -> Certification:
    return Certification(id="c1", application_id="a1", program_code="special_assistance",
                         category="death", policy_version="wuhan-2012", person_key="0" * 64,
                         division_code="420117", township_code=None,
                         effective_from=date(2026, 1, 1), valid_until=valid_until)


def test_a_new_certification_is_valid_to_the_end_of_the_later_year() -> None:
    assert first_valid_until(date(2026, 1, 1), date(2026, 11, 2)) == date(2026, 12, 31)
    assert first_valid_until(date(2027, 3, 1), date(2026, 11, 2)) == date(2027, 12, 31)


def test_renewal_for_the_next_year_extends_validity_and_keeps_the_status() -> None:
    certification = _certification()
    change = certification.renew(2027, date(2026, 12, 10), 31, "approver",
                                 method="in_person")
    assert (change.kind, change.effective_from, change.valid_until) == (
        "renewed", date(2027, 1, 1), date(2027, 12, 31))
    assert certification.status == "active"
    assert certification.valid_until == date(2027, 12, 31)


@pytest.mark.parametrize(("year", "today", "why"), [
    (2027, date(2026, 9, 30), "open from 2026-10-01"),
    (2027, date(2027, 2, 1), "to 2027-01-31"),
    (2026, date(2026, 12, 1), "already valid until"),
    (2028, date(2026, 12, 1), "only for 2027"),
])
def test_renewal_outside_its_window_or_year_is_refused(year: int, today: date,
                                                       why: str) -> None:
    certification = _certification()
    with pytest.raises(Refused, match=why):
        certification.renew(year, today, 31, "approver", method="in_person")
    assert certification.valid_until == date(2026, 12, 31)


def test_an_unrenewed_certification_lapses_the_day_after_the_deadline() -> None:
    certification = _certification()
    assert certification.lapse_if_due(date(2027, 1, 31), 31) is None
    change = certification.lapse_if_due(date(2027, 2, 1), 31)
    assert change is not None
    assert (change.kind, change.effective_from, change.actor) == (
        "lapsed", date(2027, 2, 1), "system")
    assert certification.status == "lapsed"
    assert certification.lapse_if_due(date(2027, 3, 1), 31) is None


def test_death_revokes_from_the_first_day_of_the_next_month() -> None:
    certification = _certification()
    change = certification.revoke_for_death(date(2026, 12, 15))
    assert change is not None and change.effective_from == date(2027, 1, 1)
    assert certification.status == "revoked"
    assert certification.revoke_for_death(date(2026, 12, 15)) is None


def test_a_revocation_never_takes_effect_before_the_certification_did() -> None:
    certification = _certification()
    change = certification.revoke(date(2025, 5, 1), "never eligible", "finding:f1")
    assert change.effective_from == date(2026, 1, 1)


def test_suspend_then_reinstate_then_revoke() -> None:
    certification = _certification()
    certification.suspend(date(2026, 6, 1), "finding", "finding:f1")
    with pytest.raises(Refused, match="only an active one"):
        certification.suspend(date(2026, 6, 2), "again", "finding:f2")
    certification.reinstate(date(2026, 7, 1), "cleared", "approver")
    assert certification.status == "active"
    certification.revoke(date(2026, 8, 1), "lost status", "approver")
    with pytest.raises(Refused, match="already revoked"):
        certification.revoke(date(2026, 9, 1), "again", "approver")
