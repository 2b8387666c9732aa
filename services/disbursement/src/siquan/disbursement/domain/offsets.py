"""`OffsetAgainstALaterEntitlement`: where the policy of the run's period allows it
(`offset_allowed`), an open receivable of the program is recovered from what a run owes
the same household (the person themself always counts as their own household): the run
withholds up to the entitlement and pays the rest.

Receivables are taken oldest first, a person's payments oldest period first (arrears,
then the run's period, then top-ups); an entitlement may be reduced by several
receivables and a receivable spread over several entitlements and household members,
never below zero on either side. An entitlement the offsets take whole writes no payment;
its period counts as paid. Each (receivable, entitlement) becomes one recovery of kind
`offset`, recorded in the unit of work that freezes the run: a run is frozen once, so an
offset is recorded exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from siquan.disbursement.domain.roster import PlannedPayment


@dataclass
class OpenReceivable:
    """An open receivable of the run's program, with whose household it is."""

    receivable_id: str
    person_key: str
    households: frozenset[str]
    outstanding_fen: int
    recorded_at: datetime

    def owed_by(self, person_key: str, household_key: str | None) -> bool:
        return self.outstanding_fen > 0 and (
            person_key == self.person_key
            or (household_key is not None and household_key in self.households))


@dataclass(frozen=True)
class Offset:
    """What one receivable took from one entitlement."""

    receivable_id: str
    certification_id: str
    person_key: str
    period: str
    item: str
    entitlement_fen: int
    offset_fen: int
    arrear: bool


def apply_offsets(payments: Sequence[PlannedPayment], household_key: str | None,
                  receivables: Sequence[OpenReceivable]
                  ) -> tuple[list[PlannedPayment], list[Offset]]:
    """The payments left to pay (reduced or gone) and the offsets taken; `receivables`
    are reduced in place, so the next member of the household sees what is left."""
    owed = sorted((r for r in receivables
                   if payments and r.owed_by(payments[0].person_key, household_key)),
                  key=lambda r: (r.recorded_at, r.receivable_id))
    if not owed:
        return list(payments), []
    left: list[PlannedPayment] = []
    offsets: list[Offset] = []
    for payment in sorted(payments, key=lambda p: (p.item != "benefit", p.period)):
        rest = payment.amount_fen
        for receivable in owed:
            take = min(rest, receivable.outstanding_fen)
            if take <= 0:
                continue
            receivable.outstanding_fen -= take
            rest -= take
            offsets.append(Offset(receivable.receivable_id, payment.certification_id,
                                  payment.person_key, payment.period, payment.item,
                                  payment.amount_fen, take, payment.arrear))
        if rest > 0:
            left.append(payment if rest == payment.amount_fen
                        else replace(payment, amount_fen=rest))
    return left, offsets
