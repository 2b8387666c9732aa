"""A payment run's roster: every certification active for the period, each either paid the
policy's amount for its category or skipped with a reason.

Rules, checked in this order for each certification:
- `PaidOncePerPeriod`: nobody is paid twice for the same program and period;
- `PaymentRequiresActiveCertification` and `HeldPersonsAreNotPaid` (`payment_obstacle`,
  checked again right before the bank is instructed);
- one payment per person even if two certifications of the program overlap;
- `PaymentRequiresPayeeAccount`;
- the amount comes from the policy version in force on the period's first day, for the
  certification's category; never from a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from siquan.contracts.policy import PolicyCatalogue, PolicyVersion, period_matches, period_start
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.errors import InvalidRequest

ALREADY_PAID = "already paid for period"
NOT_ACTIVE = "certification not active for the period"
ON_HOLD = "payments to this person are on hold"
DUPLICATE = "another certification already pays this person for the period"
NO_ACCOUNT = "no payee account"


def mask_account(account_number: str) -> str:
    """All but the last four digits masked: what events and logs may show."""
    return "*" * max(len(account_number) - 4, 0) + account_number[-4:]


@dataclass(frozen=True)
class PayeeAccount:
    bank_code: str
    account_number: str

    @property
    def masked(self) -> str:
        return mask_account(self.account_number)


@dataclass(frozen=True)
class Candidate:
    """A certification active for the period, with what decides whether it is paid."""

    certification: Certification
    account: PayeeAccount | None
    held: bool
    already_paid: bool


@dataclass(frozen=True)
class PlannedPayment:
    certification_id: str
    person_key: str
    amount_fen: int
    account: PayeeAccount


@dataclass(frozen=True)
class Skip:
    person_key: str
    certification_id: str
    reason: str


@dataclass(frozen=True)
class Roster:
    policy_version: str
    payments: tuple[PlannedPayment, ...]
    skipped: tuple[Skip, ...]

    @property
    def payee_count(self) -> int:
        return len(self.payments)

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p in self.payments)


def policy_for(catalogue: PolicyCatalogue, program_code: str, period: str) -> PolicyVersion:
    """The policy version that sets the period's amounts; refuses a period the program's
    payment frequency does not have."""
    try:
        policy = catalogue.in_force(program_code, period_start(period))
    except KeyError as exc:
        raise InvalidRequest(str(exc.args[0])) from exc
    if not period_matches(policy.frequency, period):
        raise InvalidRequest(f"{program_code} is paid {policy.frequency}; period {period} "
                             "does not match")
    return policy


def payment_obstacle(certification: Certification | None, held: bool, period: str) -> str | None:
    """Why a payment for `period` must not be made now, or None when it may."""
    if certification is None or not certification.active_in(period):
        return NOT_ACTIVE
    if held:
        return ON_HOLD
    return None


def build_roster(candidates: Iterable[Candidate], policy: PolicyVersion,
                 period: str) -> Roster:
    payments: list[PlannedPayment] = []
    skipped: list[Skip] = []
    paying: set[str] = set()
    ordered = sorted(candidates, key=lambda c: (c.certification.effective_from,
                                                c.certification.id))
    for candidate in ordered:
        cert = candidate.certification
        if cert.program_code != policy.program_code:
            raise ValueError(f"certification {cert.id} is for {cert.program_code}, "
                             f"not {policy.program_code}")
        if not cert.active_in(period):
            continue
        reason = _skip_reason(candidate, policy, period, paying)
        if reason is not None:
            skipped.append(Skip(cert.person_key, cert.id, reason))
            continue
        assert candidate.account is not None
        paying.add(cert.person_key)
        payments.append(PlannedPayment(cert.id, cert.person_key,
                                       policy.benefit(cert.category).amount_fen,
                                       candidate.account))
    return Roster(policy.version, tuple(payments), tuple(skipped))


def _skip_reason(candidate: Candidate, policy: PolicyVersion, period: str,
                 paying: set[str]) -> str | None:
    cert = candidate.certification
    if candidate.already_paid:
        return ALREADY_PAID
    obstacle = payment_obstacle(cert, candidate.held, period)
    if obstacle is not None:
        return obstacle
    if cert.person_key in paying:
        return DUPLICATE
    if candidate.account is None:
        return NO_ACCOUNT
    if cert.category not in {b.category for b in policy.benefits}:
        return f"category {cert.category!r} has no amount in policy {policy.version}"
    return None
