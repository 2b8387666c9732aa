"""Judging settled payments (不冒) and certified persons left unpaid (不漏)."""

from dataclasses import replace
from datetime import date

from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.entitlement import (
    CertificationRecord,
    Change,
    Death,
)
from siquan.oversight.reconciliation.domain.payments import (
    RunFacts,
    SettledItem,
    certified_not_paid,
    judge,
    never_certified,
    paid_twice,
)

PERSON = "a" * 64
CERT = CertificationRecord(
    certification_id="c1", person_key=PERSON, program_code="special_assistance",
    category="death", division_code="420117", effective_from=date(2026, 1, 1),
    application_id="app1", reviewed_by="reviewer-1", approved_by="approver-1",
    granted_message="m-grant")
ITEM = SettledItem(payment_id="pay1", person_key=PERSON, certification_id="c1",
                   program_code="special_assistance", period="2026-11", item="benefit",
                   amount_fen=21_000, division_code="420117", run_id="run1",
                   message_id="m-chunk")
RUN = RunFacts("run1", started_by="disburser-1", started_message="m-run")


def rules_of(*found: rules.Finding) -> list[str]:
    return [f.rule.name for f in found]


def test_a_payment_the_policy_owes_an_active_certification_breaks_nothing() -> None:
    judgement = judge(ITEM, CERT, None, 21_000, RUN)

    assert judgement == judgement.__class__(pending=False, findings=())


def test_a_payment_after_the_payees_death_is_a_suspected_false_claim() -> None:
    death = Death(PERSON, date(2026, 10, 15), "m-death")

    (finding,) = judge(ITEM, CERT, death, 21_000, RUN).findings

    assert finding.rule is rules.PAID_AFTER_DEATH
    assert finding.rule.category == "wrong_payment"
    assert finding.evidence == ("m-chunk", "m-death")
    assert finding.officer_id == "disburser-1"
    assert finding.holds_payee and finding.hold_program() is None
    assert finding.dedup_key == "paid_after_death:pay1"


def test_a_death_later_in_the_month_paid_for_leaves_that_months_payment_owed() -> None:
    death = Death(PERSON, date(2026, 11, 2), "m-death")

    assert judge(ITEM, CERT, death, 21_000, RUN).findings == ()


def test_a_payment_whose_certification_is_unknown_waits_for_it() -> None:
    judgement = judge(ITEM, None, None, None, RUN)

    assert judgement.pending and judgement.findings == ()
    assert never_certified(ITEM, RUN).rule is rules.PAID_WITHOUT_CERTIFICATION


def test_a_payment_on_someone_elses_certification_is_paid_without_certification() -> None:
    cert = replace(CERT, person_key="b" * 64)

    (finding,) = judge(ITEM, cert, None, 21_000, RUN).findings

    assert finding.rule is rules.PAID_WITHOUT_CERTIFICATION
    assert finding.evidence == ("m-chunk", "m-grant")


def test_a_payment_after_revocation_cites_the_revocation() -> None:
    cert = replace(CERT, changes=(Change("revoked", date(2026, 10, 1), "m-rev"),))

    (finding,) = judge(ITEM, cert, None, 21_000, RUN).findings

    assert finding.rule is rules.PAID_AFTER_REVOCATION
    assert finding.evidence == ("m-chunk", "m-grant", "m-rev")
    assert finding.hold_program() == "special_assistance"


def test_payments_before_the_certification_or_while_lapsed_or_suspended_are_caught() -> None:
    early = replace(CERT, effective_from=date(2026, 12, 1))
    lapsed = replace(CERT, changes=(Change("lapsed", date(2026, 1, 1), "l"),))
    suspended = replace(CERT, changes=(Change("suspended", date(2026, 11, 1), "s"),))

    assert rules_of(*judge(ITEM, early, None, 21_000, RUN).findings) == [
        "paid_before_certification"]
    assert rules_of(*judge(ITEM, lapsed, None, 21_000, RUN).findings) == ["paid_while_lapsed"]
    assert rules_of(*judge(ITEM, suspended, None, 21_000, RUN).findings) == [
        "paid_while_suspended"]


def test_an_amount_one_fen_off_the_policy_is_a_wrong_payment_of_one_fen() -> None:
    (finding,) = judge(replace(ITEM, amount_fen=20_999), CERT, None, 21_000, RUN).findings

    assert finding.rule is rules.AMOUNT_DIFFERS_FROM_POLICY
    assert finding.amount_fen == 1
    assert not finding.holds_payee


def test_an_arrear_is_held_to_the_amount_of_the_period_it_pays() -> None:
    arrear = replace(ITEM, item="arrears:2026-10", period="2026-10")

    assert judge(arrear, CERT, None, 21_000, RUN).findings == ()
    assert rules_of(*judge(replace(arrear, amount_fen=42_000), CERT, None, 21_000,
                           RUN).findings) == ["amount_differs_from_policy"]


def test_items_other_than_the_benefit_are_not_held_to_its_amount() -> None:
    assert judge(replace(ITEM, item="supplement", amount_fen=5), CERT, None, 21_000,
                 RUN).findings == ()


def test_a_payment_the_policy_has_no_amount_for_is_a_finding() -> None:
    assert rules_of(*judge(ITEM, CERT, None, None, RUN).findings) == ["no_policy_amount"]


def test_the_officer_who_approved_cannot_start_the_run_that_pays_the_person() -> None:
    run = RunFacts("run1", started_by="approver-1", started_message="m-run")

    (finding,) = judge(ITEM, CERT, None, 21_000, run).findings

    assert finding.rule is rules.OFFICER_IN_TWO_POWERS
    assert finding.rule.category == "breach_of_discipline"
    assert finding.officer_id == "approver-1"
    assert finding.evidence == ("m-grant", "m-run", "m-chunk")


def test_a_second_payment_for_the_same_key_names_the_first() -> None:
    finding = paid_twice(replace(ITEM, payment_id="pay2", message_id="m-2"), "pay1",
                         "m-chunk", RUN)

    assert finding.rule is rules.PAID_TWICE
    assert finding.evidence == ("m-2", "m-chunk")
    assert finding.dedup_key == "paid_twice:pay2"


def test_a_certified_person_left_unpaid_traces_to_the_runs_officer() -> None:
    finding = certified_not_paid(CERT, "2026-11", [RUN], 21_000, "2026-12-30")

    assert finding.rule is rules.CERTIFIED_NOT_PAID
    assert finding.officer_id == "disburser-1"
    assert finding.evidence == ("m-grant", "m-run")
    assert finding.amount_fen == 21_000
