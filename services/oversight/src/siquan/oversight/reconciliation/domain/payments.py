"""Judging a settled payment (不冒) and a certified person left unpaid (不漏).

A settled payment breaks a rule when its payee had died before the period, when its
certification is someone else's or was not active on any day of the period, when its
amount differs from the policy's for the certification's category (arrears included, at
the amount of the period they pay), when another payment
already paid the same person, program, period and item, or when the officer who started
the run also decided the payee's certification. A payment whose certification oversight
has not heard of yet is judged again later: the grant may still be on its way on another
queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from siquan.contracts.periods import period_start
from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.entitlement import CertificationRecord, Death
from siquan.oversight.reconciliation.domain.findings import Finding, Rule, evidence_of

BENEFIT_ITEM = "benefit"
ARREARS_PREFIX = "arrears:"


def pays_benefit(item: str) -> bool:
    """The period's benefit, paid in its run or later as an arrear (`arrears:<period>`)."""
    return item == BENEFIT_ITEM or item.startswith(ARREARS_PREFIX)


@dataclass(frozen=True)
class SettledItem:
    """One settled payment, with the run and the message that reported it."""

    payment_id: str
    person_key: str
    certification_id: str
    program_code: str
    period: str
    item: str
    amount_fen: int
    division_code: str
    run_id: str
    message_id: str
    transferred_as: str | None = None
    """The payment id of an earlier order the bank made this transfer under (a run lost in
    a restore of disbursement and started again): no money moved for this payment."""

    @property
    def period_start(self) -> date:
        return period_start(self.period)

    @property
    def transfer(self) -> str:
        """The payment id the bank moved the money under: two payments of one transfer are
        one payment, never a payment made twice."""
        return self.transferred_as or self.payment_id


@dataclass(frozen=True)
class RunFacts:
    """What disbursement said when it started a run (None: oversight never saw it)."""

    run_id: str
    started_by: str | None = None
    started_message: str | None = None
    started_at: datetime | None = None


@dataclass(frozen=True)
class Judgement:
    pending: bool
    """The certification is not known yet: judge the payment again later."""
    findings: tuple[Finding, ...] = ()


def _about(item: SettledItem, rule: Rule, reason: str, *evidence: str | None,
           run: RunFacts | None, amount_fen: int | None = None) -> Finding:
    return Finding(rule=rule, dedup_key=f"{rule.name}:{item.payment_id}", reason=reason,
                   evidence=evidence_of(item.message_id, *evidence),
                   certification_id=item.certification_id, person_key=item.person_key,
                   officer_id=run.started_by if run else None, run_id=item.run_id,
                   program_code=item.program_code, period=item.period,
                   division_code=item.division_code,
                   amount_fen=item.amount_fen if amount_fen is None else amount_fen)


_NOT_OWED: dict[str, tuple[Rule, str]] = {
    "not_yet": (rules.PAID_BEFORE_CERTIFICATION, "before its certification took effect"),
    "revoked": (rules.PAID_AFTER_REVOCATION, "after its certification was revoked"),
    "lapsed": (rules.PAID_WHILE_LAPSED, "while its certification had lapsed"),
    "suspended": (rules.PAID_WHILE_SUSPENDED, "while its certification was suspended"),
}


def _standing(item: SettledItem, cert: CertificationRecord, run: RunFacts | None
              ) -> Finding | None:
    if (cert.person_key, cert.program_code) != (item.person_key, item.program_code):
        return _about(item, rules.PAID_WITHOUT_CERTIFICATION,
                      f"payment {item.payment_id} rests on certification "
                      f"{cert.certification_id}, which is not this payee's for "
                      f"{item.program_code}", cert.granted_message, run=run)
    if cert.owed_in(item.period):
        return None
    rule, why = _NOT_OWED.get(cert.status_on(item.period_start), _NOT_OWED["revoked"])
    return _about(item, rule, f"payment {item.payment_id} for {item.period} was made {why}",
                  cert.granted_message, *cert.ending_changes(item.period), run=run)


def _amount(item: SettledItem, cert: CertificationRecord, expected: int | None,
            run: RunFacts | None) -> Finding | None:
    if not pays_benefit(item.item) or cert.person_key != item.person_key:
        return None
    if expected is None:
        return _about(item, rules.NO_POLICY_AMOUNT,
                      f"the policy sets no amount for {item.program_code} category "
                      f"{cert.category} in {item.period}, yet {item.amount_fen} fen was paid",
                      cert.granted_message, run=run)
    if expected == item.amount_fen:
        return None
    return _about(item, rules.AMOUNT_DIFFERS_FROM_POLICY,
                  f"paid {item.amount_fen} fen for {item.period}; the policy owes "
                  f"{expected} fen for category {cert.category}", cert.granted_message,
                  run=run, amount_fen=abs(item.amount_fen - expected))


def _started_by_decider(item: SettledItem, cert: CertificationRecord, run: RunFacts | None
                        ) -> Finding | None:
    if run is None or run.started_by not in (cert.approved_by, cert.reviewed_by):
        return None
    officer = run.started_by
    return Finding(
        rule=rules.OFFICER_IN_TWO_POWERS,
        dedup_key=f"{rules.OFFICER_IN_TWO_POWERS.name}:{officer}:{item.person_key}:run",
        reason=f"officer {officer} decided the certification {cert.certification_id} and "
               f"started the run {item.run_id} that paid it",
        evidence=evidence_of(cert.granted_message, run.started_message, item.message_id),
        certification_id=cert.certification_id, person_key=item.person_key,
        officer_id=officer, application_id=cert.application_id, run_id=item.run_id,
        program_code=item.program_code, period=item.period,
        division_code=cert.division_code)


def judge(item: SettledItem, cert: CertificationRecord | None, death: Death | None,
          expected_fen: int | None, run: RunFacts | None) -> Judgement:
    """Every rule a settled payment breaks, given what is known of its payee."""
    found: list[Finding] = []
    if death is not None and death.ends_before(item.period):
        found.append(_about(item, rules.PAID_AFTER_DEATH,
                            f"payment {item.payment_id} for {item.period} was made after "
                            f"the payee's death on {death.date_of_death}",
                            death.message_id, run=run))
    if cert is None:
        return Judgement(pending=True, findings=tuple(found))
    standing = _standing(item, cert, run)
    checks = (standing, _amount(item, cert, expected_fen, run),
              _started_by_decider(item, cert, run))
    return Judgement(pending=False, findings=(*found, *(f for f in checks if f)))


def never_certified(item: SettledItem, run: RunFacts | None) -> Finding:
    """The payment's certification never reached oversight within the grace period."""
    return _about(item, rules.PAID_WITHOUT_CERTIFICATION,
                  f"payment {item.payment_id} rests on certification {item.certification_id},"
                  " which eligibility never announced", run=run)


def paid_twice(item: SettledItem, earlier_payment: str, earlier_message: str,
               run: RunFacts | None) -> Finding:
    return _about(item, rules.PAID_TWICE,
                  f"payment {item.payment_id} pays {item.program_code} {item.period} "
                  f"({item.item}) again: payment {earlier_payment} already did",
                  earlier_message, run=run)


def certified_not_paid(cert: CertificationRecord, period: str, runs: list[RunFacts],
                       expected_fen: int | None, deadline: str) -> Finding:
    starters = sorted({r.started_by for r in runs if r.started_by})
    return Finding(
        rule=rules.CERTIFIED_NOT_PAID,
        dedup_key=f"{rules.CERTIFIED_NOT_PAID.name}:{cert.person_key}:{cert.program_code}"
                  f":{period}",
        reason=f"certified for {cert.program_code} in {period} and a run was made, but "
               f"nothing was paid by {deadline}",
        evidence=evidence_of(cert.granted_message, *(r.started_message for r in runs)),
        certification_id=cert.certification_id, person_key=cert.person_key,
        officer_id=starters[0] if len(starters) == 1 else None,
        application_id=cert.application_id, run_id=runs[0].run_id if runs else None,
        program_code=cert.program_code, period=period, division_code=cert.division_code,
        amount_fen=expected_fen)
