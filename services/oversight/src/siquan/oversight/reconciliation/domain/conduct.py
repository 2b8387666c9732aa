"""Discipline (违纪): the separation of duties and the closed loop of the fund.

- Nobody approves an application they reviewed at the township, and nobody acts in two
  powers for one beneficiary: the officer who decided a certification (review or approval)
  neither registers that person's payee account nor starts the run that pays them.
- Money leaves or is reserved in a special account only for a payment run disbursement
  announced, and a settled run adds up: reserved = paid + released (paid counted gross,
  returns being part of it), with the reserved amount being what the allocation approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.entitlement import CertificationRecord
from siquan.oversight.reconciliation.domain.findings import Finding, evidence_of

TOWNSHIP_STAGES = ("township", "")


def reviewer_approved(cert: CertificationRecord, township_reviews: dict[str, str]
                      ) -> Finding | None:
    """The approver also reviewed: per the grant itself, or per a township review event
    (`township_reviews`: reviewing officer → that review's message id)."""
    approver = cert.approved_by
    if approver != cert.reviewed_by and approver not in township_reviews:
        return None
    return Finding(
        rule=rules.REVIEWER_APPROVED,
        dedup_key=f"{rules.REVIEWER_APPROVED.name}:{cert.certification_id}",
        reason=f"officer {approver} both reviewed and approved application "
               f"{cert.application_id} (certification {cert.certification_id})",
        evidence=evidence_of(township_reviews.get(approver), cert.granted_message),
        decision="suspend", certification_id=cert.certification_id,
        person_key=cert.person_key, officer_id=approver,
        application_id=cert.application_id, program_code=cert.program_code,
        division_code=cert.division_code)


def registered_by_decider(cert: CertificationRecord, registered_by: str,
                          registration_message: str) -> Finding | None:
    """The officer who decided the certification registered the payee's account."""
    if registered_by not in (cert.approved_by, cert.reviewed_by):
        return None
    return Finding(
        rule=rules.OFFICER_IN_TWO_POWERS,
        dedup_key=f"{rules.OFFICER_IN_TWO_POWERS.name}:{registered_by}:{cert.person_key}"
                  ":account",
        reason=f"officer {registered_by} decided certification {cert.certification_id} and "
               "registered the same person's payee account",
        evidence=evidence_of(cert.granted_message, registration_message),
        certification_id=cert.certification_id, person_key=cert.person_key,
        officer_id=registered_by, application_id=cert.application_id,
        program_code=cert.program_code, division_code=cert.division_code)


def confirmed_by_decider(cert: CertificationRecord, confirmed_by: str,
                         confirmation_message: str) -> Finding | None:
    """The officer who decided the certification confirmed, as the second disbursement
    officer, a change of the payee's account."""
    if confirmed_by not in (cert.approved_by, cert.reviewed_by):
        return None
    return Finding(
        rule=rules.OFFICER_IN_TWO_POWERS,
        dedup_key=f"{rules.OFFICER_IN_TWO_POWERS.name}:{confirmed_by}:{cert.person_key}"
                  ":account-confirmation",
        reason=f"officer {confirmed_by} decided certification {cert.certification_id} and "
               "confirmed a change of the same person's payee account",
        evidence=evidence_of(cert.granted_message, confirmation_message),
        certification_id=cert.certification_id, person_key=cert.person_key,
        officer_id=confirmed_by, application_id=cert.application_id,
        program_code=cert.program_code, division_code=cert.division_code)


@dataclass(frozen=True)
class Settlement:
    run_id: str
    program_code: str
    period: str
    division_code: str
    reserved_fen: int
    paid_fen: int
    released_fen: int
    returned_fen: int
    message_id: str


def _about_settlement(s: Settlement, rule: rules.Rule, reason: str, amount: int,
                      *evidence: str | None) -> Finding:
    return Finding(rule=rule, dedup_key=f"{rule.name}:{s.run_id}", reason=reason,
                   evidence=evidence_of(s.message_id, *evidence), run_id=s.run_id,
                   program_code=s.program_code, period=s.period,
                   division_code=s.division_code, amount_fen=amount)


def settlement_findings(s: Settlement, allocated_fen: int | None,
                        allocation_message: str | None) -> list[Finding]:
    """A settled run adds up: what was reserved was paid (gross: money the bank sent back
    later is part of it, and counted again as returned) or released; no more came back
    than was paid; and the reservation is what the allocation approved."""
    found = []
    accounted = s.paid_fen + s.released_fen
    if accounted != s.reserved_fen or s.returned_fen > s.paid_fen:
        found.append(_about_settlement(
            s, rules.SETTLEMENT_UNBALANCED,
            f"run {s.run_id} settled {s.reserved_fen} fen reserved as {s.paid_fen} paid "
            f"(of which {s.returned_fen} returned) + {s.released_fen} released",
            max(abs(s.reserved_fen - accounted), s.returned_fen - s.paid_fen)))
    if allocated_fen is not None and allocated_fen != s.reserved_fen:
        found.append(_about_settlement(
            s, rules.SETTLEMENT_DIFFERS_FROM_ALLOCATION,
            f"run {s.run_id} settled a reservation of {s.reserved_fen} fen; the allocation "
            f"approved {allocated_fen} fen", abs(s.reserved_fen - allocated_fen),
            allocation_message))
    return found


@dataclass(frozen=True)
class Movement:
    """A fund custody event that reserves or pays out money for a run."""

    message_id: str
    run_id: str
    kind: str
    amount_fen: int
    program_code: str
    period: str
    division_code: str


def money_moved_without_run(m: Movement) -> Finding:
    return Finding(
        rule=rules.MONEY_MOVED_WITHOUT_RUN,
        dedup_key=f"{rules.MONEY_MOVED_WITHOUT_RUN.name}:{m.message_id}",
        reason=f"fund custody recorded a {m.kind} of {m.amount_fen} fen for run {m.run_id}, "
               "which disbursement never started nor asked funds for",
        evidence=(m.message_id,), run_id=m.run_id, program_code=m.program_code,
        period=m.period, division_code=m.division_code, amount_fen=m.amount_fen)


@dataclass(frozen=True)
class YearEnd:
    """A special account's year-end statement, as fund custody published it."""

    program_code: str
    fiscal_year: int
    division_code: str
    opening_fen: int
    appropriated_by_level: tuple[int, ...]
    appropriated_total_fen: int
    paid_fen: int
    returned_fen: int
    closing_fen: int
    reserved_fen: int
    released_fen: int
    message_id: str
    recovered_fen: int = 0


def statement_findings(y: YearEnd) -> list[Finding]:
    """closing = opening + appropriations − paid + returned + recovered; the levels add up
    to the appropriations; what the year's runs reserved was paid or released."""
    expected_closing = (y.opening_fen + y.appropriated_total_fen - y.paid_fen + y.returned_fen
                        + y.recovered_fen)
    gaps = [(expected_closing, y.closing_fen, "the closing balance"),
            (sum(y.appropriated_by_level), y.appropriated_total_fen, "the appropriations"),
            (y.paid_fen + y.released_fen, y.reserved_fen, "the runs' reservations")]
    wrong = [(want, got, what) for want, got, what in gaps if want != got]
    if not wrong:
        return []
    return [Finding(
        rule=rules.STATEMENT_UNBALANCED,
        dedup_key=f"{rules.STATEMENT_UNBALANCED.name}:{y.message_id}",
        reason=f"the {y.fiscal_year} statement of {y.program_code} does not add up: "
               + "; ".join(f"{what} is {got} fen, not {want} fen" for want, got, what in wrong),
        evidence=(y.message_id,), program_code=y.program_code, period=str(y.fiscal_year),
        division_code=y.division_code,
        amount_fen=max(abs(want - got) for want, got, _ in wrong))]
