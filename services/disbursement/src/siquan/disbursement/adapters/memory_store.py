"""The in-memory twin of disbursement's database, for unit tests: plain records in dicts,
and the questions the repositories of `memory.py` ask of them, answered the way the
domain states the rules (`payable`, `roster`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from siquan.disbursement.application.repositories import CertificationChange
from siquan.disbursement.domain.certification import Certification, open_suspensions
from siquan.disbursement.domain.payable import PaymentFacts
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.disbursement.domain.sharing import PayeeAgent

LIVE = ("pending", "settled")


@dataclass
class AccountRecord:
    person_key: str
    account: PayeeAccount
    division_code: str
    registered_by: str
    registered_at: datetime
    previous_registered_at: datetime | None
    superseded_at: datetime | None = None
    requires_checker: bool = False
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    fingerprint: str | None = None
    agent: PayeeAgent | None = None

    @property
    def unconfirmed(self) -> bool:
        return self.confirmed_at is None


@dataclass
class HoldRecord:
    person_key: str
    program_code: str | None
    reason: str
    lifted_at: datetime | None = None


@dataclass
class PaymentRecord:
    payment_id: str
    run_id: str
    certification_id: str
    person_key: str
    program_code: str
    period: str
    item: str
    amount_fen: int
    bank_code: str
    account_number: str
    status: str = "pending"
    reason: str = ""
    bank_reference: str | None = None
    chunk: int | None = None
    transferred_as: str | None = None
    returned_on: date | None = None
    return_reason: str = ""
    account_name: str = ""
    """The holder's name registered with the account when the order was written."""


@dataclass
class RunRecord:
    run: PaymentRun
    listed: dict[str, Any]
    trace_context: dict[str, str] = field(default_factory=dict)
    fund_settled_fen: int | None = None


@dataclass
class ChunkRecord:
    payment_ids: list[str]
    done: bool = False


@dataclass
class RunHoldRecord:
    run_id: str
    reason: str
    placed_at: datetime | None = None
    lifted_at: datetime | None = None


@dataclass
class MemoryStore:
    certifications: dict[str, Certification] = field(default_factory=dict)
    certification_changes: dict[str, CertificationChange] = field(default_factory=dict)
    revocations: dict[str, date] = field(default_factory=dict)
    suspensions: set[tuple[str, date]] = field(default_factory=set)
    reinstatements: set[tuple[str, date]] = field(default_factory=set)
    deaths: dict[str, date] = field(default_factory=dict)  # person → benefits end
    holds: dict[str, HoldRecord] = field(default_factory=dict)
    run_holds: dict[str, RunHoldRecord] = field(default_factory=dict)
    accounts: list[AccountRecord] = field(default_factory=list)
    households: dict[str, str] = field(default_factory=dict)  # person key → household key
    runs: dict[str, RunRecord] = field(default_factory=dict)
    payments: dict[str, PaymentRecord] = field(default_factory=dict)
    chunks: dict[tuple[str, int], ChunkRecord] = field(default_factory=dict)
    return_cursor: date | None = None
    notified: list[str] = field(default_factory=list)
    receivables: dict[str, Any] = field(default_factory=dict)  # id → (Receivable, described)
    # payment id → (receivable id, the part of the payment overpaid)
    overpaid: dict[str, tuple[str, int]] = field(default_factory=dict)
    offsets: list[Any] = field(default_factory=list)  # (run id, recovery id, Offset)
    disputes: set[tuple[str, str]] = field(default_factory=set)  # (payment id, batch)

    def certification(self, certification_id: str) -> Certification | None:
        """As the database would show it: with its end, the death and its suspensions."""
        kept = self.certifications.get(certification_id)
        if kept is None:
            return None
        return Certification(
            kept.id, kept.person_key, kept.program_code, kept.category, kept.division_code,
            kept.effective_from, self.revocations.get(kept.id),
            self.deaths.get(kept.person_key), open_suspensions(
                [d for c, d in self.suspensions if c == kept.id],
                [d for c, d in self.reinstatements if c == kept.id]), kept.household_key)

    def current_account(self, person_key: str) -> AccountRecord | None:
        return next((a for a in self.accounts
                     if a.person_key == person_key and a.superseded_at is None), None)

    def held(self, person_key: str, program_code: str) -> bool:
        return any(h.person_key == person_key and h.lifted_at is None
                   and h.program_code in (None, program_code) for h in self.holds.values())

    def live(self, person_key: str, program_code: str, period: str, item: str,
             other_than: str | None = None) -> bool:
        return any(p.person_key == person_key and p.program_code == program_code
                   and p.period == period and p.item == item and p.status in LIVE
                   and p.payment_id != other_than for p in self.payments.values())

    def facts(self, payment: PaymentRecord) -> PaymentFacts:
        """What `PAYABLE` weighs for a pending payment now."""
        certification = self.certification(payment.certification_id)
        run = self.runs.get(payment.run_id)
        paid = self.live(payment.person_key, payment.program_code, payment.period,
                         payment.item, other_than=payment.payment_id)
        held = self.held(payment.person_key, payment.program_code)
        allocated = run is not None and run.run.status == "allocated"
        if certification is None:
            return PaymentFacts(payment.period, benefits_end=self.deaths.get(
                payment.person_key), held=held, has_account=bool(payment.account_number),
                allocated=allocated, paid=paid)
        return certification.facts(payment.period, held=held,
                                   has_account=bool(payment.account_number),
                                   paid=paid, allocated=allocated)

    def run_payments(self, run_id: str) -> list[PaymentRecord]:
        return [p for p in self.payments.values() if p.run_id == run_id]
