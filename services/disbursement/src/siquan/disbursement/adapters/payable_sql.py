"""How disbursement's tables answer the facts of `domain.payable`: the SQL a query gives the
rule for each fact, so the rule's conditions run in the database over a whole roster or
chunk at once. A query names its own columns for the certification, the person, the
program, the period and the item; the facts that need another table (holds, suspensions,
other payments) are subqueries here, the same for every query."""

from __future__ import annotations

from dataclasses import dataclass

from siquan.disbursement.domain.payable import FACT_NAMES, PERIOD_NAMES


@dataclass(frozen=True)
class Subject:
    """The SQL naming, in one query, what is to be paid: the certification, person,
    program, period (and its first and last day) and item, and the payment itself when it
    exists already (it does not count as paying its own key)."""

    certification: str
    person: str
    program: str
    period: str
    period_start: str
    period_end: str
    item: str = "'benefit'"
    payment: str | None = None
    live: str | None = None
    """The payment's own live flag, when it exists: a live payment is the only live one of
    its key (the unique index `one_live_payment_per_person_program_period`), so another is
    looked up only for a payment no longer live — one index probe less per payment of a
    chunk."""


# Holds and suspensions in force are few: `x IN (subquery)` lets the planner hash them
# once per statement when the subquery does not depend on the row.
def held(person: str, program: str) -> str:
    return (f"{person} IN (SELECT h.person_key FROM holds h WHERE h.lifted_at IS NULL"
            f" AND (h.program_code IS NULL OR h.program_code = {program}))")


def suspended(certification: str) -> str:
    """A suspension is open until a reinstatement on or after it."""
    return (f"{certification} IN (SELECT s.certification_id FROM certification_suspensions s"
            f" WHERE NOT EXISTS (SELECT 1 FROM certification_reinstatements x"
            f" WHERE x.certification_id = s.certification_id"
            f" AND x.reinstated_from >= s.suspended_from))")


def paid(subject: Subject) -> str:
    """Another live payment (pending or settled, not returned) of the same key."""
    other = "" if subject.payment is None else f" AND o.payment_id <> {subject.payment}"
    found = (f"EXISTS (SELECT 1 FROM payment_orders o WHERE o.person_key = {subject.person}"
             f" AND o.program_code = {subject.program} AND o.period = {subject.period}"
             f" AND o.item = {subject.item} AND o.live{other})")
    return found if subject.live is None else f"(NOT {subject.live} AND {found})"


def facts(subject: Subject, *, certified_from: str, certified_until: str,
          benefits_end: str, has_account: str, account_unconfirmed: str,
          allocated: str = "false") -> dict[str, str]:
    """Every fact and period bound `payable.Rule.sql_obstacle` needs, for one query."""
    found = {
        "certified_from": certified_from, "certified_until": certified_until,
        "benefits_end": benefits_end, "held": held(subject.person, subject.program),
        "suspended": suspended(subject.certification), "has_account": has_account,
        "account_unconfirmed": account_unconfirmed,
        "allocated": allocated, "paid": paid(subject),
        "period_start": subject.period_start, "period_end": subject.period_end,
    }
    assert set(found) == {*FACT_NAMES, *PERIOD_NAMES}
    return found
