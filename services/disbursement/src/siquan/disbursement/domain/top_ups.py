"""`TopUpAfterRaise`: when a policy version raised the amount of a period already paid
(a retroactive raise, published with an effective date before that period), the next run
that pays the person pays the difference for that period as an arrear: the amount the
version now in force owes for the period (the run's arrears window, `amounts.py`) minus
what live payments already paid for it, in fen, labelled `topup:<version>`. A top-up
reaches every period since the program's first run, beyond the arrears window: the
window bounds what is paid late for periods never paid, but a raise is owed for every
period it covers that was paid at the old standard (DOMAIN: paying the difference for
months already paid), so no period is left owed-but-unpaid because it is old. A period the
run pays anyway (an ordinary arrear) needs no top-up; a period nothing paid yet is an
ordinary arrear, not a top-up. One top-up per (person, period, version) at most: the item
is part of the unique key of live payments, and what it paid counts as paid next time.
A person the run no longer pays (revoked, lapsed or dead since) is topped up too, for the
window periods their certification was still owed for, to their current confirmed account
(unless held): the periods were owed at the new standard whatever happened after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from siquan.disbursement.domain.amounts import AmountTable
from siquan.disbursement.domain.roster import PayeeAccount, PlannedPayment

TOP_UP_PREFIX = "topup:"


def top_up_item(policy_version: str) -> str:
    return f"{TOP_UP_PREFIX}{policy_version}"


@dataclass(frozen=True)
class PaidBefore:
    """What earlier runs paid a person (paid in this run) for one period, live payments
    only, with the certification and account this run pays them on."""

    person_key: str
    certification_id: str
    category: str
    period: str
    paid_fen: int
    account: PayeeAccount
    certified_from: date | None


def top_up(paid: PaidBefore, table: AmountTable) -> PlannedPayment | None:
    """The top-up one period owes, or None."""
    amounts = next((a for a in table.arrears if a.period == paid.period), None)
    owed = amounts.amount(paid.category) if amounts is not None else None
    if amounts is None or owed is None or paid.paid_fen <= 0 or owed <= paid.paid_fen:
        return None
    return PlannedPayment(paid.certification_id, paid.person_key, paid.period,
                          owed - paid.paid_fen, paid.account, arrear=True,
                          certified_from=paid.certified_from,
                          item=top_up_item(amounts.policy_version))
