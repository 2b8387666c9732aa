"""May we pay this person for this period: the one home of the rule.

Every place that decides whether money may go to a person for a period asks `PAYABLE`:
the roster when a run is frozen (`PLANNABLE`: everything but the allocation, which comes
after), the payer right before the bank is instructed, and the retry planner. The rule is a
list of named conditions, each stated once with the reason a payment that fails it is
skipped or cancelled, as

- a Python predicate over `PaymentFacts` (what the domain and the in-memory adapters
  use), and
- an SQL expression over the same facts, named in braces (`{held}`, `{period_start}`,
  ...), which an adapter turns into SQL by saying how its query reads each fact
  (`Rule.sql_obstacle`, `Rule.sql_allows`).

The first condition that fails gives the reason. In SQL each condition counts as failed
when it is NULL (a fact that is missing never lets a payment through), as in Python.
Property tests run both on generated cases against PostgreSQL and require the same answer.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date

from siquan.contracts.periods import period_bounds

ALREADY_PAID = "already paid for period"
NOT_ACTIVE = "certification not active for the period"
DIED = "the payee died before the period"
ON_HOLD = "payments to this person are on hold"
SUSPENDED = "certification suspended: payments to this person are on hold until reinstated"
NO_ACCOUNT = "no payee account"
AWAITING_CONFIRMATION = "account change awaiting confirmation"
NOT_ALLOCATED = "the run has no approved allocation"


@dataclass(frozen=True)
class PaymentFacts:
    """What decides whether a person may be paid for a period, as disbursement holds it."""

    period: str
    certified_from: date | None = None
    """The certification's first day; None when no certification backs the payment."""
    certified_until: date | None = None
    """The first day a revocation or lapse ends it (the earliest); None while it runs."""
    benefits_end: date | None = None
    """The first day nothing is owed after the person's death; None: no death reported."""
    held: bool = False
    """A hold placed by oversight is in force on the person (for this program or all)."""
    suspended: bool = False
    """The certification is suspended and not reinstated."""
    has_account: bool = False
    account_unconfirmed: bool = False
    """The current account changed an earlier one and no second disbursement officer has
    confirmed the change yet."""
    allocated: bool = False
    """Fund custody approved an allocation for the run that pays it."""
    paid: bool = False
    """Another live (pending or settled) payment exists for the same person, program,
    period and item."""


FACT_NAMES = tuple(f.name for f in fields(PaymentFacts) if f.name != "period")
PERIOD_NAMES = ("period_start", "period_end")


@dataclass(frozen=True)
class Condition:
    name: str
    reason: str
    test: Callable[[PaymentFacts, date, date], bool]
    """The predicate, given the facts and the period's first and last day."""
    sql: str
    """The same predicate over `{fact}`, `{period_start}` and `{period_end}`."""


def _certified(f: PaymentFacts, start: date, end: date) -> bool:
    return f.certified_from is not None and f.certified_from <= end and (
        f.certified_until is None or f.certified_until > start)


CONDITIONS = (
    Condition("PaidOncePerPeriod", ALREADY_PAID, lambda f, s, e: not f.paid, "NOT {paid}"),
    Condition("PaymentRequiresActiveCertification", NOT_ACTIVE, _certified,
              "{certified_from} <= {period_end}"
              " AND ({certified_until} IS NULL OR {certified_until} > {period_start})"),
    Condition("NobodyIsPaidAfterDeath", DIED,
              lambda f, s, e: f.benefits_end is None or f.benefits_end > s,
              "{benefits_end} IS NULL OR {benefits_end} > {period_start}"),
    Condition("HeldPersonsAreNotPaid", ON_HOLD, lambda f, s, e: not f.held, "NOT {held}"),
    Condition("SuspendedCertificationsAreNotPaid", SUSPENDED,
              lambda f, s, e: not f.suspended, "NOT {suspended}"),
    Condition("PaymentRequiresPayeeAccount", NO_ACCOUNT, lambda f, s, e: f.has_account,
              "{has_account}"),
    Condition("AccountChangesAreConfirmed", AWAITING_CONFIRMATION,
              lambda f, s, e: not f.account_unconfirmed, "NOT {account_unconfirmed}"),
    Condition("PaymentRequiresAllocation", NOT_ALLOCATED, lambda f, s, e: f.allocated,
              "{allocated}"),
)


@dataclass(frozen=True)
class Rule:
    conditions: tuple[Condition, ...]

    def without(self, *names: str) -> Rule:
        unknown = set(names) - {c.name for c in self.conditions}
        if unknown:
            raise ValueError(f"no such conditions: {sorted(unknown)}")
        return Rule(tuple(c for c in self.conditions if c.name not in names))

    def only(self, *names: str) -> Rule:
        kept = self.without(*(c.name for c in self.conditions if c.name not in names))
        if len(kept.conditions) != len(set(names)):
            raise ValueError(f"no such conditions: {sorted(names)}")
        return kept

    def obstacle(self, facts: PaymentFacts) -> str | None:
        """The reason of the first condition the facts fail; None when they may be paid."""
        start, end = period_bounds(facts.period)
        return next((c.reason for c in self.conditions if not c.test(facts, start, end)),
                    None)

    def allows(self, facts: PaymentFacts) -> bool:
        return self.obstacle(facts) is None

    def sql_obstacle(self, facts: Mapping[str, str]) -> str:
        """A CASE expression: the reason of the first failed condition, NULL when none
        fails. `facts` gives the SQL of every fact and of `period_start`/`period_end`."""
        branches = " ".join(f"WHEN NOT COALESCE(({_fill(c.sql, facts)}), false)"
                            f" THEN {_literal(c.reason)}" for c in self.conditions)
        return f"(CASE {branches} END)"

    def sql_allows(self, facts: Mapping[str, str]) -> str:
        """A boolean expression: true when every condition holds."""
        return "(" + " AND ".join(f"COALESCE(({_fill(c.sql, facts)}), false)"
                                  for c in self.conditions) + ")"


def _fill(template: str, facts: Mapping[str, str]) -> str:
    wanted = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = wanted - facts.keys()
    if missing:
        raise KeyError(f"the query does not say how to read {sorted(missing)}")
    return template.format_map({name: f"({facts[name]})" for name in wanted})


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


PAYABLE = Rule(CONDITIONS)
"""May this payment go to the bank now."""
PLANNABLE = PAYABLE.without("PaymentRequiresAllocation")
"""May a run being frozen include this payment (its allocation is asked for after)."""
IN_FORCE = PAYABLE.only("PaymentRequiresActiveCertification", "NobodyIsPaidAfterDeath")
"""Is anything owed for the period at all: certified for it, and alive at its start."""
