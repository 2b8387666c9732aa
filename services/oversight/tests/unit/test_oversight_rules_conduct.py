"""Discipline: separation of duties, the fund's closed loop, certification timeliness."""

from dataclasses import replace
from datetime import date

from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.conduct import (
    Movement,
    Settlement,
    YearEnd,
    money_moved_without_run,
    registered_by_decider,
    reviewer_approved,
    settlement_findings,
    statement_findings,
)
from siquan.oversight.reconciliation.domain.entitlement import CertificationRecord
from siquan.oversight.reconciliation.domain.timeliness import (
    DivisionTimeliness,
    Target,
    below_target,
)

CERT = CertificationRecord(
    certification_id="c1", person_key="a" * 64, program_code="special_assistance",
    category="death", division_code="420117", effective_from=date(2026, 1, 1),
    application_id="app1", reviewed_by="reviewer-1", approved_by="approver-1",
    granted_message="m-grant")
SETTLED = Settlement(run_id="run1", program_code="special_assistance", period="2026-11",
                     division_code="420117", reserved_fen=63_000, paid_fen=42_000,
                     released_fen=21_000, returned_fen=0, message_id="m-settle")


def test_an_approval_by_another_officer_than_the_reviewer_is_fine() -> None:
    assert reviewer_approved(CERT, {"reviewer-1": "m-review"}) is None


def test_an_approval_by_the_grants_own_reviewer_asks_for_suspension() -> None:
    finding = reviewer_approved(replace(CERT, approved_by="reviewer-1"), {})

    assert finding is not None
    assert finding.rule is rules.REVIEWER_APPROVED
    assert (finding.rule.category, finding.decision) == ("breach_of_discipline", "suspend")
    assert (finding.officer_id, finding.evidence) == ("reviewer-1", ("m-grant",))
    assert finding.application_id == "app1"


def test_an_approval_by_a_township_reviewer_the_grant_does_not_name_is_caught() -> None:
    finding = reviewer_approved(CERT, {"approver-1": "m-review"})

    assert finding is not None and finding.evidence == ("m-review", "m-grant")


def test_the_decider_who_registers_the_payees_account_acts_in_two_powers() -> None:
    assert registered_by_decider(CERT, "disburser-1", "m-acct") is None
    finding = registered_by_decider(CERT, "approver-1", "m-acct")

    assert finding is not None and finding.rule is rules.OFFICER_IN_TWO_POWERS
    assert finding.evidence == ("m-grant", "m-acct")
    assert finding.dedup_key.endswith(":account")


def test_a_settlement_that_adds_up_to_its_allocation_breaks_nothing() -> None:
    assert settlement_findings(SETTLED, 63_000, "m-alloc") == []


def test_a_settlement_that_does_not_add_up_is_a_breach() -> None:
    (finding,) = settlement_findings(replace(SETTLED, released_fen=20_000), 63_000, "m-a")

    assert finding.rule is rules.SETTLEMENT_UNBALANCED
    assert finding.amount_fen == 1_000 and finding.evidence == ("m-settle",)


def test_money_returned_after_payment_is_part_of_what_was_paid() -> None:
    returned = replace(SETTLED, returned_fen=21_000)
    too_much = replace(SETTLED, returned_fen=42_001)

    assert settlement_findings(returned, 63_000, "m-alloc") == []
    (finding,) = settlement_findings(too_much, 63_000, "m-alloc")
    assert finding.rule is rules.SETTLEMENT_UNBALANCED and finding.amount_fen == 1


def test_settling_more_than_the_allocation_reserved_is_a_breach() -> None:
    (finding,) = settlement_findings(SETTLED, 60_000, "m-alloc")

    assert finding.rule is rules.SETTLEMENT_DIFFERS_FROM_ALLOCATION
    assert finding.evidence == ("m-settle", "m-alloc") and finding.amount_fen == 3_000


def test_money_moved_for_an_unknown_run_cites_the_movement() -> None:
    finding = money_moved_without_run(Movement("m-1", "ghost", "reservation", 500,
                                               "special_assistance", "2026-11", "420117"))

    assert finding.rule.category == "breach_of_discipline"
    assert (finding.run_id, finding.amount_fen, finding.evidence) == ("ghost", 500, ("m-1",))


TARGET = Target(days=30, rate=0.9, min_applications=10)


def test_timeliness_below_target_is_a_finding_about_the_division() -> None:
    figures = DivisionTimeliness("420117", 2026, counted=10, on_time=8,
                                 late_evidence=("m-a", "m-b"))

    finding = below_target(figures, TARGET)

    assert finding is not None
    assert finding.rule.category == "wrong_eligibility_decision"
    assert finding.division_code == "420117" and finding.evidence == ("m-a", "m-b")
    assert "80.0%" in finding.reason


def test_timeliness_on_target_or_on_too_few_applications_is_not_judged() -> None:
    assert below_target(DivisionTimeliness("420117", 2026, 10, 9, ("m",)), TARGET) is None
    assert below_target(DivisionTimeliness("420117", 2026, 9, 0, ("m",)), TARGET) is None


YEAR_END = YearEnd(program_code="special_assistance", fiscal_year=2026, division_code="420117",
                   opening_fen=1_000, appropriated_by_level=(50_000, 20_000, 20_000, 10_000),
                   appropriated_total_fen=100_000, paid_fen=63_000, returned_fen=21_000,
                   closing_fen=59_000, reserved_fen=70_000, released_fen=7_000,
                   message_id="m-year")


def test_a_balanced_year_end_statement_breaks_nothing() -> None:
    assert statement_findings(YEAR_END) == []


def test_a_year_end_statement_that_does_not_balance_names_each_gap() -> None:
    (finding,) = statement_findings(replace(YEAR_END, closing_fen=58_000, released_fen=6_000))

    assert finding.rule.name == "year_end_statement_unbalanced"
    assert "closing balance is 58000 fen, not 59000 fen" in finding.reason
    assert "reservations is 70000 fen, not 69000 fen" in finding.reason
    assert (finding.evidence, finding.amount_fen, finding.period) == (("m-year",), 1_000,
                                                                      "2026")
