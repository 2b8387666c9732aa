"""The rules of 三追究 and the findings they raise.

Each rule belongs to one of the three accountabilities: a wrong eligibility decision, a
wrong payment, or a breach of discipline. A finding names the rule, the events that show
the breach (their message ids), and what it traces to: the certification, application or
payment run, and the officer who decided it. A finding about a suspected false claim
(冒领: paid without an active certification, or after death or its end) also holds the
payee until an auditor lifts the hold.

Each finding has a key that makes it unique (`dedup_key`): the same breach seen again (a
redelivered event, a second sweep) raises nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from siquan.contracts.oversight_v1 import FindingCategory, FindingRaised

Decision = Literal["none", "suspend", "revoke"]


@dataclass(frozen=True)
class Rule:
    name: str
    category: FindingCategory
    holds_payee: bool = False


PAID_WITHOUT_CERTIFICATION = Rule("paid_without_certification", "wrong_payment", True)
PAID_BEFORE_CERTIFICATION = Rule("paid_before_certification", "wrong_payment", True)
PAID_AFTER_DEATH = Rule("paid_after_death", "wrong_payment", True)
PAID_AFTER_REVOCATION = Rule("paid_after_revocation", "wrong_payment", True)
PAID_WHILE_LAPSED = Rule("paid_while_lapsed", "wrong_payment", True)
PAID_WHILE_SUSPENDED = Rule("paid_while_suspended", "wrong_payment", True)
AMOUNT_DIFFERS_FROM_POLICY = Rule("amount_differs_from_policy", "wrong_payment")
NO_POLICY_AMOUNT = Rule("no_policy_amount", "wrong_payment")
PAID_TWICE = Rule("paid_twice", "wrong_payment")
CERTIFIED_NOT_PAID = Rule("certified_not_paid", "wrong_payment")
SETTLEMENT_UNBALANCED = Rule("settlement_unbalanced", "breach_of_discipline")
SETTLEMENT_DIFFERS_FROM_ALLOCATION = Rule("settlement_differs_from_allocation",
                                          "breach_of_discipline")
MONEY_MOVED_WITHOUT_RUN = Rule("money_moved_without_run", "breach_of_discipline")
STATEMENT_UNBALANCED = Rule("year_end_statement_unbalanced", "breach_of_discipline")
REVIEWER_APPROVED = Rule("reviewer_approved_own_review", "breach_of_discipline")
OFFICER_IN_TWO_POWERS = Rule("officer_in_two_powers", "breach_of_discipline")
TIMELINESS_BELOW_TARGET = Rule("certification_timeliness_below_target",
                               "wrong_eligibility_decision")
UNUSUAL_PERSONAL_DATA_READS = Rule("unusual_personal_data_reads", "breach_of_discipline")
BANK_STATEMENT_DIFFERS = Rule("bank_statement_differs", "wrong_payment")
BANK_RESULT_DIFFERS = Rule("bank_result_differs", "wrong_payment")
CERTIFIED_IN_EXCLUSIVE_PROGRAMS = Rule("certified_in_exclusive_programs",
                                       "wrong_eligibility_decision")
HOUSEHOLD_CERTIFIED_TWICE = Rule("household_certified_twice", "wrong_eligibility_decision")
ACCOUNT_SHARED_OUTSIDE_HOUSEHOLD = Rule("account_shared_outside_household", "wrong_payment")

RULES: dict[str, Rule] = {rule.name: rule for rule in (
    PAID_WITHOUT_CERTIFICATION, PAID_BEFORE_CERTIFICATION, PAID_AFTER_DEATH,
    PAID_AFTER_REVOCATION, PAID_WHILE_LAPSED, PAID_WHILE_SUSPENDED,
    AMOUNT_DIFFERS_FROM_POLICY, NO_POLICY_AMOUNT, PAID_TWICE, CERTIFIED_NOT_PAID,
    SETTLEMENT_UNBALANCED, SETTLEMENT_DIFFERS_FROM_ALLOCATION, MONEY_MOVED_WITHOUT_RUN,
    STATEMENT_UNBALANCED, REVIEWER_APPROVED, OFFICER_IN_TWO_POWERS, TIMELINESS_BELOW_TARGET,
    UNUSUAL_PERSONAL_DATA_READS, BANK_STATEMENT_DIFFERS, BANK_RESULT_DIFFERS,
    CERTIFIED_IN_EXCLUSIVE_PROGRAMS, HOUSEHOLD_CERTIFIED_TWICE,
    ACCOUNT_SHARED_OUTSIDE_HOUSEHOLD)}

FALSE_CLAIM_RULES = tuple(name for name, rule in RULES.items() if rule.holds_payee)
"""冒: the rules whose findings count as suspected false claims in the reports."""


@dataclass(frozen=True)
class Finding:
    """A breach found, before it is stored and published."""

    rule: Rule
    dedup_key: str
    reason: str
    evidence: tuple[str, ...]
    decision: Decision = "none"
    certification_id: str | None = None
    person_key: str | None = None
    officer_id: str | None = None
    application_id: str | None = None
    run_id: str | None = None
    program_code: str | None = None
    period: str | None = None
    division_code: str | None = None
    amount_fen: int | None = None
    details: Mapping[str, str | int | None] | None = field(default=None, compare=False,
                                                            hash=False)
    """The figures the evidence states (e.g. expected and stated amounts), when it has
    some: masked accounts only, never an account number or a resident ID."""

    def __post_init__(self) -> None:
        if not self.evidence:
            raise ValueError(f"a finding of {self.rule.name} needs evidence")

    @property
    def holds_payee(self) -> bool:
        return self.rule.holds_payee and self.person_key is not None

    def hold_program(self) -> str | None:
        """The program a hold covers: every program when the person has died."""
        return None if self.rule is PAID_AFTER_DEATH else self.program_code

    def event(self, finding_id: str, raised_at: datetime) -> FindingRaised:
        return FindingRaised(
            finding_id=finding_id, category=self.rule.category, rule=self.rule.name,
            certification_id=self.certification_id, person_key=self.person_key,
            officer_id=self.officer_id, evidence=self.evidence, decision=self.decision,
            reason=self.reason, raised_at=raised_at, application_id=self.application_id,
            run_id=self.run_id, program_code=self.program_code, period=self.period,
            division_code=self.division_code, amount_fen=self.amount_fen)


def evidence_of(*message_ids: str | None) -> tuple[str, ...]:
    """The message ids given, in order, without blanks or repeats."""
    return tuple(dict.fromkeys(m for m in message_ids if m))


@dataclass(frozen=True)
class Flag:
    """Something worth a look that is not itself a breach (e.g. a payee account changed
    just before a run paid it)."""

    kind: str
    dedup_key: str
    reason: str
    evidence: tuple[str, ...]
    person_key: str | None = None
    run_id: str | None = None
    program_code: str | None = None
    period: str | None = None
    division_code: str | None = None
