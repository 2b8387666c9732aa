"""Recovery (追回) of money paid for periods nothing was owed for any more, or less.

A settled (not returned) payment is overpaid when the certification it rests on ended —
revoked, lapsed, or the person died — on or before the first day of the period it paid:
the period was not owed (`payable.IN_FORCE` would not have paid it). A period the
certification is still owed for is overpaid by what its settled payments paid above the
standard now owed for it — after a backdated change to a lower category (or to a county
paying less), as a backdated change to a higher one is topped up (`top_ups`): that part of
its payments (the later items first, then the benefit) is overpaid, cause
`standard_lowered`. The overpaid payments of one certification paid by runs of one fiscal
year become one receivable, one per cause.

A receivable is reduced by repayments, offsets and one write-off, never below zero; a
write-off is proposed by one officer and approved by another (maker-checker) and writes
off what was outstanding when it was proposed. Pure: no storage.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from siquan.contracts.periods import period_start
from siquan.disbursement.domain.errors import InvalidRequest, OutOfScope, Refused
from siquan.disbursement.domain.roster import BENEFIT

_NAMESPACE = uuid.UUID("0b7c3d4e-8f5a-4c1b-9e2d-6a7b8c9d0e1f")

RecoveryKind = Literal["repayment", "offset", "write_off"]
Cause = Literal["death", "revocation", "standard_lowered"]
Status = Literal["open", "partly_repaid", "repaid", "offset", "written_off"]

MAKER_IS_NOT_CHECKER = ("a write-off is approved by a second officer, not the one who "
                        "proposed it")
NOT_OUTSTANDING = "the amount exceeds what the receivable still holds"
CLOSED = "the receivable is closed: nothing is outstanding"
CHANGED_SINCE_PROPOSED = ("the receivable changed since the write-off was proposed; "
                          "propose it again")
NO_PROPOSAL = "no write-off of this receivable awaits approval"
ALREADY_PROPOSED = "a write-off of this receivable already awaits approval"
BANK_RETURN = "bank-return"  # who records a return of an overpaid payment: no officer
DEATH_CORRECTED = "death-corrected"
"""Who records giving up a receivable a death recorded in error raised: no officer (the
approver who corrected the death approves it)."""


@dataclass(frozen=True)
class SettledPayment:
    """A settled payment that was not returned, with the end of its certification."""

    payment_id: str
    run_id: str
    run_period: str
    certification_id: str
    program_code: str
    division_code: str
    period: str
    item: str
    amount_fen: int
    ended_from: date | None  # first day the certification owed nothing (None: in force)
    death: bool = False  # the end is the person's death
    lowered: bool = False  # the part paid above a lowered standard (from `ended_from`)


def overpaid(payments: Iterable[SettledPayment]) -> list[SettledPayment]:
    """The payments for periods that began on or after their certification's end (or on or
    after the lower standard)."""
    return [p for p in payments
            if p.ended_from is not None and p.ended_from <= period_start(p.period)]


@dataclass(frozen=True)
class PaidUnder:
    """A settled payment not found overpaid before (`ended_from` its certification's end,
    if any), with the category and county its certification was of on its period's first
    day, in force since `since`."""

    payment: SettledPayment
    category: str
    division_code: str
    since: date


def in_force_on(spans: Sequence[tuple[date, str, str]], period: str
                ) -> tuple[date, str, str] | None:
    """Of a certification's spans (from, category, county), oldest first, the one in force
    on the period's first day (the first one, for a period that began before it)."""
    start = period_start(period)
    chosen = spans[0] if spans else None
    for span in spans:
        if span[0] <= start:
            chosen = span
    return chosen


# What a category is owed for a period in a county now: (program, category, period,
# county) → fen, None when the policy owes no amount for it.
Standard = Callable[[str, str, str, str], int | None]


def paid_above_standard(paid: Iterable[PaidUnder], standard: Standard
                        ) -> list[SettledPayment]:
    """The part of each period's settled payments above what the standard in force owes
    for it now, on periods the certification was still owed (an ended one's are overpaid
    whole, `overpaid`): nothing where the standard is equal or higher, or unknown. The
    excess is taken from the period's payments later items first (top-ups, arrears), then
    the benefit, each at most what it paid."""
    periods: dict[tuple[str, str], list[PaidUnder]] = {}
    for under in paid:
        p = under.payment
        if p.ended_from is not None and p.ended_from <= period_start(p.period):
            continue
        periods.setdefault((p.certification_id, p.period), []).append(under)
    found = []
    for (_, period), group in sorted(periods.items()):
        first = group[0]
        owed = standard(first.payment.program_code, first.category, period,
                        first.division_code)
        excess = sum(u.payment.amount_fen for u in group) - (owed or 0)
        if owed is None or excess <= 0:
            continue
        group.sort(key=lambda u: (u.payment.item == BENEFIT, u.payment.item,
                                  u.payment.payment_id))
        for under in group:
            part = min(excess, under.payment.amount_fen)
            if part <= 0:
                break
            found.append(replace(under.payment, amount_fen=part, ended_from=under.since,
                                 death=False, lowered=True))
            excess -= part
    return found


@dataclass(frozen=True)
class Found:
    """One receivable to record: one certification's overpaid payments of one fiscal
    year."""

    receivable_id: str
    certification_id: str
    program_code: str
    division_code: str
    fiscal_year: int
    cause: Cause
    ended_from: date
    payments: tuple[SettledPayment, ...]

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p in self.payments)


def receivables_of(payments: Iterable[SettledPayment]) -> list[Found]:
    """Overpaid payments grouped by certification, the fiscal year of the run that paid
    them and whether they are parts above a lowered standard. The id is derived from the
    payments, so finding them again names the same receivable. A lowered standard's
    receivable starts from the earliest lower standard among its payments."""
    groups: dict[tuple[str, int, bool], list[SettledPayment]] = {}
    for payment in overpaid(payments):
        groups.setdefault((payment.certification_id, int(payment.run_period[:4]),
                           payment.lowered), []).append(payment)
    found = []
    for (certification_id, year, lowered), group in sorted(groups.items()):
        group.sort(key=lambda p: (p.period, p.item, p.payment_id))
        first = group[0]
        ids = ",".join(sorted(p.payment_id for p in group))
        key = f"{certification_id}:{year}:{ids}"
        cause: Cause = "death" if first.death else "revocation"
        ended_from = first.ended_from
        if lowered:
            key, cause = f"standard_lowered:{key}", "standard_lowered"
            ended_from = min(p.ended_from for p in group if p.ended_from is not None)
        assert ended_from is not None
        found.append(Found(
            str(uuid.uuid5(_NAMESPACE, key)), certification_id, first.program_code,
            first.division_code, year, cause, ended_from, tuple(group)))
    return found


@dataclass(frozen=True)
class Recovery:
    recovery_id: str
    kind: RecoveryKind
    amount_fen: int
    recorded_by: str
    approved_by: str | None = None
    returned_payment_id: str | None = None  # the bank's return of this overpaid payment


@dataclass(frozen=True)
class WriteOffProposal:
    proposal_id: str
    amount_fen: int
    proposed_by: str


@dataclass
class Receivable:
    receivable_id: str
    total_fen: int
    recoveries: list[Recovery] = field(default_factory=list)
    proposal: WriteOffProposal | None = None

    @property
    def recovered_fen(self) -> int:
        return sum(r.amount_fen for r in self.recoveries if r.kind != "write_off")

    @property
    def written_off_fen(self) -> int:
        return sum(r.amount_fen for r in self.recoveries if r.kind == "write_off")

    @property
    def outstanding_fen(self) -> int:
        return self.total_fen - self.recovered_fen - self.written_off_fen

    @property
    def status(self) -> Status:
        return status_of(self.total_fen, _sums(self.recoveries))

    def repay(self, recovery_id: str, amount_fen: int, officer: str,
              kind: RecoveryKind = "repayment") -> Recovery:
        """Money paid back (or withheld from a later entitlement): never more than is
        outstanding."""
        if amount_fen <= 0:
            raise InvalidRequest("a repayment is a positive amount of fen")
        self._check_open()
        if amount_fen > self.outstanding_fen:
            raise Refused(NOT_OUTSTANDING)
        recovery = Recovery(recovery_id, kind, amount_fen, officer)
        self.recoveries.append(recovery)
        return recovery

    def returned_by_bank(self, recovery_id: str, payment_id: str, amount_fen: int
                         ) -> Recovery | None:
        """The bank sent an overpaid payment back: the money is in the special account
        again, so that much of the receivable is repaid — never more than is still
        outstanding (what an officer recorded as repaid before stays repaid). None when
        nothing is outstanding any more."""
        amount = min(amount_fen, self.outstanding_fen)
        if amount <= 0:
            return None
        recovery = Recovery(recovery_id, "repayment", amount, BANK_RETURN,
                            returned_payment_id=payment_id)
        self.recoveries.append(recovery)
        return recovery

    def propose_write_off(self, proposal_id: str, officer: str) -> WriteOffProposal:
        self._check_open()
        if self.proposal is not None:
            raise Refused(ALREADY_PROPOSED)
        self.proposal = WriteOffProposal(proposal_id, self.outstanding_fen, officer)
        return self.proposal

    def approve_write_off(self, proposal_id: str, officer: str) -> Recovery:
        """The checker approves the maker's proposal; what it writes off must still be
        what is outstanding."""
        proposal = self.proposal
        if proposal is None or proposal.proposal_id != proposal_id:
            raise Refused(NO_PROPOSAL)
        if proposal.proposed_by == officer:
            raise OutOfScope(MAKER_IS_NOT_CHECKER)
        self._check_open()
        if proposal.amount_fen != self.outstanding_fen:
            raise Refused(CHANGED_SINCE_PROPOSED)
        recovery = Recovery(proposal_id, "write_off", proposal.amount_fen,
                            proposal.proposed_by, officer)
        self.recoveries.append(recovery)
        self.proposal = None
        return recovery

    def give_up_for_death_corrected(self, recovery_id: str, corrected_by: str
                                    ) -> Recovery | None:
        """The death that made these payments overpaid was recorded in error (and
        corrected by `corrected_by`): they were owed after all, so what is still
        outstanding is not pursued — written off by the correction (recorded by
        `DEATH_CORRECTED`, approved by the approver who corrected the death). None when
        nothing is outstanding; an open write-off proposal is dropped."""
        if self.outstanding_fen <= 0:
            return None
        recovery = Recovery(recovery_id, "write_off", self.outstanding_fen, DEATH_CORRECTED,
                            corrected_by)
        self.recoveries.append(recovery)
        self.proposal = None
        return recovery

    def _check_open(self) -> None:
        if self.outstanding_fen <= 0:
            raise Refused(CLOSED)


def _sums(recoveries: Sequence[Recovery]) -> dict[str, int]:
    sums: dict[str, int] = {}
    for r in recoveries:
        sums[r.kind] = sums.get(r.kind, 0) + r.amount_fen
    return sums


def status_of(total_fen: int, by_kind: dict[str, int]) -> Status:
    """open: nothing recovered; partly_repaid: some recovered, some outstanding; repaid,
    offset, written_off: closed, named by what closed the most of it (repayments first
    on a tie)."""
    done = sum(by_kind.values())
    if done <= 0:
        return "open"
    if done < total_fen:
        return "partly_repaid"
    order: tuple[Status, ...] = ("repaid", "offset", "written_off")
    kinds = ("repayment", "offset", "write_off")
    best = max(range(3), key=lambda i: (by_kind.get(kinds[i], 0), -i))
    return order[best]
