"""What a certification owed for a period, from its timeline; deaths; policy amounts."""

from datetime import date

from siquan.contracts.periods import period_end
from siquan.contracts.policy import load_catalogue
from siquan.oversight.reconciliation.domain.entitlement import (
    CaseChange,
    CertificationRecord,
    Change,
    Death,
    policy_amount,
    with_changes,
)


def certification(*changes: Change, effective_from: date = date(2026, 3, 15)
                  ) -> CertificationRecord:
    return CertificationRecord(
        certification_id="c1", person_key="p" * 64, program_code="special_assistance",
        category="death", division_code="420117", effective_from=effective_from,
        application_id="a1", reviewed_by="reviewer", approved_by="approver",
        granted_message="m-grant", changes=changes)


def test_a_certification_is_owed_from_the_month_it_takes_effect_in() -> None:
    cert = certification()

    assert not cert.owed_in("2026-02")
    assert cert.owed_in("2026-03")
    assert cert.owed_in("2026")


def test_a_revocation_ends_the_benefit_from_its_day_and_for_good() -> None:
    cert = certification(Change("revoked", date(2026, 6, 10), "m-rev"),
                         Change("reinstated", date(2026, 8, 1), "m-back"))

    assert cert.owed_in("2026-06")
    assert not cert.owed_in("2026-07")
    assert not cert.owed_in("2026-09")
    assert cert.status_on(date(2026, 9, 1)) == "revoked"
    assert cert.ending_changes("2026-09") == ("m-rev", "m-back")


def test_a_suspension_stops_the_benefit_until_the_reinstatement() -> None:
    cert = certification(Change("suspended", date(2026, 5, 1), "m-sus"),
                         Change("reinstated", date(2026, 7, 20), "m-back"))

    assert not cert.owed_in("2026-06")
    assert cert.owed_in("2026-07")
    assert cert.status_on(date(2026, 6, 1)) == "suspended"


def test_a_renewal_does_not_lift_a_suspension_but_ends_a_lapse() -> None:
    suspended = certification(Change("suspended", date(2026, 5, 1), "s"),
                              Change("renewed", date(2026, 6, 1), "r"))
    lapsed = certification(Change("lapsed", date(2026, 5, 1), "l"),
                           Change("renewed", date(2026, 6, 1), "r"))

    assert not suspended.owed_in("2026-06")
    assert not lapsed.owed_in("2026-05")
    assert lapsed.owed_in("2026-06")


def test_changes_apply_in_the_order_of_their_days_not_of_their_arrival() -> None:
    cert = certification(Change("reinstated", date(2026, 7, 1), "back"),
                         Change("suspended", date(2026, 5, 1), "sus"))

    assert not cert.owed_in("2026-06")
    assert cert.owed_in("2026-07")


def test_a_death_ends_benefits_from_the_first_day_of_the_next_month() -> None:
    death = Death("p" * 64, date(2026, 11, 20), "m-death")

    assert death.benefits_end == date(2026, 12, 1)
    assert not death.ends_before("2026-11")
    assert death.ends_before("2026-12")
    assert not death.ends_before("2026")
    assert Death("p" * 64, date(2026, 12, 31), "m").benefits_end == date(2027, 1, 1)


def test_periods_end_on_their_last_day() -> None:
    assert period_end("2026-02") == date(2026, 2, 28)
    assert period_end("2026") == date(2026, 12, 31)
    assert period_end("2026-S2") == date(2027, 2, 28)
    assert period_end("2026-O3") == date(2026, 12, 31)


def test_the_policy_amount_is_the_one_in_force_on_the_periods_first_day() -> None:
    catalogue = load_catalogue()

    assert policy_amount(catalogue, "special_assistance", "death", "2011-12", "420117") == 10_000
    assert policy_amount(catalogue, "special_assistance", "death", "2026-11", "420117") == 21_000


def test_no_policy_amount_for_an_unknown_category_or_program() -> None:
    catalogue = load_catalogue()

    assert policy_amount(catalogue, "special_assistance", "other", "2026-11", "420117") is None
    assert policy_amount(catalogue, "no_such_program", "death", "2026-11", "420117") is None


def test_transfers_and_category_changes_apply_from_their_month() -> None:
    cert = with_changes([certification()], {}, {"c1": [
        CaseChange(date(2026, 5, 1), "420117", "disability"),
        CaseChange(date(2026, 7, 1), "420102", "disability"),
        CaseChange(date(2026, 7, 1), "420102", "death")]})["c1"]

    assert [(cert.division_in(p), cert.category_in(p)) for p in
            ("2026-04", "2026-05", "2026-06", "2026-07", "2026-12")] == [
        ("420117", "death"), ("420117", "disability"), ("420117", "disability"),
        ("420102", "death"), ("420102", "death")]
    assert certification().category_in("2026-12") == "death"
