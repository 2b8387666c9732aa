"""Reconciling a bank statement with a run's payments, line by line.

A statement line matches a payment only when its payment id, amount and account are all
the payment's, and the payment is one the bank settled (a payment it returned later was
settled first). Every other line, and every settled payment no line states, is a
difference with its evidence: what we hold and what the bank states, accounts masked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from siquan.disbursement.domain.roster import mask_account

DifferenceKind = Literal[
    "amount_differs", "account_differs", "amount_and_account_differ", "not_settled",
    "unknown_payment", "duplicate_line", "missing_from_statement"]
SETTLED = ("settled", "returned")


class StatementLine(NamedTuple):
    line: int
    """Its position among the statement's detail records, from 1."""
    payment_id: str
    account_number: str
    amount_fen: int
    bank_reference: str


class HeldPayment(NamedTuple):
    """A payment of the run as disbursement holds it."""

    payment_id: str
    status: str
    account_number: str
    amount_fen: int
    bank_reference: str | None


@dataclass(frozen=True)
class Difference:
    kind: DifferenceKind
    line: int
    """The statement line (0: a settled payment no line states)."""
    payment_id: str
    expected_amount_fen: int | None = None
    stated_amount_fen: int | None = None
    expected_account: str | None = None
    """Masked."""
    stated_account: str | None = None
    """Masked."""
    held_status: str | None = None
    bank_reference: str = ""


@dataclass(frozen=True)
class Reconciliation:
    matched: int
    differences: list[Difference]


def reconcile(lines: Sequence[StatementLine], held: Mapping[str, HeldPayment],
              settled_not_stated: Sequence[HeldPayment]) -> Reconciliation:
    """`held`: the run's payments that lines name; `settled_not_stated`: the run's settled
    payments no line names."""
    matched, differences, seen = 0, [], set()
    for line in lines:
        payment = None if line.payment_id in seen else held.get(line.payment_id)
        kind = _kind(line, payment, duplicate=line.payment_id in seen)
        seen.add(line.payment_id)
        if kind is None:
            matched += 1
            continue
        differences.append(Difference(
            kind, line.line, line.payment_id,
            expected_amount_fen=payment.amount_fen if payment else None,
            stated_amount_fen=line.amount_fen,
            expected_account=mask_account(payment.account_number) if payment else None,
            stated_account=mask_account(line.account_number),
            held_status=payment.status if payment else None,
            bank_reference=line.bank_reference))
    differences += [Difference("missing_from_statement", 0, p.payment_id,
                               expected_amount_fen=p.amount_fen,
                               expected_account=mask_account(p.account_number),
                               held_status=p.status, bank_reference=p.bank_reference or "")
                    for p in settled_not_stated]
    return Reconciliation(matched, differences)


def _kind(line: StatementLine, payment: HeldPayment | None, *, duplicate: bool
          ) -> DifferenceKind | None:
    """What is wrong with the line (None: it matches a settled payment)."""
    if duplicate:
        return "duplicate_line"
    if payment is None:
        return "unknown_payment"
    if payment.status not in SETTLED:
        return "not_settled"
    amount_ok = payment.amount_fen == line.amount_fen
    account_ok = payment.account_number == line.account_number
    if not (amount_ok or account_ok):
        return "amount_and_account_differ"
    if not amount_ok:
        return "amount_differs"
    return None if account_ok else "account_differs"
