"""A payment run's roster: every certification in force for the run's period, each either
paid (the period's amount, plus arrears) or skipped with a reason.

For each certification of a person (oldest first):
- `payable.PLANNABLE` decides whether the person may be paid for the period at all (paid
  once per period, certification in force, alive, no hold or suspension, an account,
  confirmed by a second officer when it changed another);
- a one-off benefit is paid to a person once per program, whatever one-off period;
- one payment per person even if two certifications of the program overlap;
- the amount comes from the policy (`amounts.py`); a category it has no amount for is
  skipped;
- `RefusedAccountIsNotPaidAgain`: a period whose payment the bank refused or returned is
  not paid again to the same account; a corrected account must be registered first.
- `ExclusiveProgramsPayOnce`: a person is not paid for a period in a program the policy
  declares exclusive with another (`exclusive_with`) when the other pays them for that
  period (a live benefit payment), or has precedence: a certification of the other
  program in force for the period that is older (started earlier; on the same day, the
  smaller id). Eligibility refuses such a second certification; this stops the money of
  one certified before the declaration, by a migrated roster or in error, which oversight
  reports as a finding. The run's period is skipped with `EXCLUSIVE_PAID`; an arrear
  period is not owed here.
A person paid for the run's period is also paid, as arrears, each earlier period of the
window (`amounts.ArrearsWindow`) `PLANNABLE` allows and the certification was owed for (not
suspended for the whole period) and that has no refused payment to the current account,
at that period's amount.

`ArrearsOwedWhateverFollowed`: a certification (a span of it in the run's county) owed for
a period of the window and not for the run's period (revoked, lapsed or dead since,
transferred out, or of another category since) is paid that period's arrears all the
same, under the same rule, to the person's current account: the county that skipped the
run of that period owes it, and nobody else ever will (the receiving county owns only the
periods from the move, the run of a later period no longer owes the person its own). A
period another of the person's certifications is paid for in the run is not paid twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import TYPE_CHECKING

from siquan.contracts.periods import period_matches
from siquan.disbursement.domain.amounts import AmountTable
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.payable import PLANNABLE, PaymentFacts

if TYPE_CHECKING:
    from siquan.disbursement.domain.offsets import Offset

ONE_OFF_PAID = "a one-off benefit of this program was already paid"
HOUSEHOLD_PAID = ("a per-household benefit: another member of the household is paid it "
                  "for this period")
EXCLUSIVE_PAID = ("a program the policy declares exclusive with this one pays this person "
                  "for the period")
DUPLICATE = "another certification already pays this person for the period"
ACCOUNT_REFUSED = ("the bank refused or returned this account for the period; "
                   "register a corrected account")
ACCOUNT_CHANGED = "payee account changed {days} days before the run"
"""Why a payee is flagged (`account_change_flag`): the whole days between the account's
registration and the run's start."""
BENEFIT = "benefit"

def mask_account(account_number: str) -> str:
    """All but the last four digits masked: what events and logs may show."""
    return "*" * max(len(account_number) - 4, 0) + account_number[-4:]


@dataclass(frozen=True)
class PayeeAccount:
    bank_code: str
    account_number: str
    holder_name: str = field(default="", compare=False, repr=False)
    """The account holder's name (户名), kept only because the bank's 代发 file names the
    payee; not part of which account it is (`same_as` compares it too)."""

    def same_as(self, other: PayeeAccount | None) -> bool:
        """The same account under the same holder's name."""
        return other is not None and self == other and self.holder_name == other.holder_name

    @property
    def masked(self) -> str:
        return mask_account(self.account_number)


@dataclass(frozen=True)
class Candidate:
    """A certification active for the run's period (or, for arrears only, for a period of
    its window), with what decides whether it is paid.

    `paid_periods` are the periods of the run (and its arrears window) the person already
    has a live payment for; `refused_periods` those whose payment the bank refused or
    returned to the person's current account."""

    certification: Certification
    account: PayeeAccount | None
    held: bool
    paid_periods: frozenset[str] = frozenset()
    refused_periods: frozenset[str] = frozenset()
    account_unconfirmed: bool = False
    """The account is a change no second officer has confirmed yet."""
    withheld: Mapping[str, int] = field(default_factory=dict)
    """What offsets already took from the person's benefit of each period whose payment of
    the rest moved no money (failed, returned, cancelled): the receivable was reduced by it
    once, so paying the period again pays only the rest (`owed_after_offsets`)."""
    excluded_periods: frozenset[str] = frozenset()
    """The periods of the run and its window a program exclusive with this one pays the
    person for, or holds an older certification of theirs in force for
    (`ExclusiveProgramsPayOnce`)."""

    def facts(self, period: str) -> PaymentFacts:
        return self.certification.facts(period, held=self.held,
                                        has_account=self.account is not None,
                                        account_unconfirmed=self.account_unconfirmed,
                                        paid=period in self.paid_periods)


@dataclass(frozen=True)
class PlannedPayment:
    certification_id: str
    person_key: str
    period: str
    amount_fen: int
    account: PayeeAccount
    arrear: bool = False
    certified_from: date | None = None
    """The certification's first day (it never changes), kept with the payment."""
    item: str = BENEFIT
    """What it pays: the period's benefit, or a top-up after a raise (`topup:<version>`)."""

    @property
    def label(self) -> str:
        """What the payment is for, as events show it: `benefit`, `arrears:<period>` or a
        top-up's `topup:<version>`."""
        return payment_label(self.period, self.arrear, self.item)


def payment_label(period: str, arrear: bool, item: str = BENEFIT) -> str:
    if item != BENEFIT:
        return item
    return f"arrears:{period}" if arrear else BENEFIT


@dataclass(frozen=True)
class Skip:
    person_key: str
    certification_id: str
    reason: str


@dataclass
class Roster:
    """What a run pays (kept here only when small; the adapter streams large rosters)."""

    policy_version: str
    payments: list[PlannedPayment] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    @property
    def payee_count(self) -> int:
        return len(self.payments)

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p in self.payments)


def is_one_off(period: str) -> bool:
    """A one-off period (`YYYY-O<n>`): its benefit is paid to a person once, ever."""
    return period_matches("one_off", period)


def once_per_household(payments: list[PlannedPayment], candidates: Sequence[Candidate],
                       paid_by: dict[str, set[str]]
                       ) -> tuple[list[PlannedPayment], list[Skip]]:
    """A per-household benefit is paid to one member of a household for a period (a
    one-off: once). `paid_by` holds, for each household, the people paid it already (by
    earlier runs and by this run so far) and learns the person paid now. A person whose
    household another member was paid it is skipped with `HOUSEHOLD_PAID`.

    The household's arrears follow the member paid the run's period: a member owed only
    arrears (`ArrearsOwedWhateverFollowed`) is not paid them here, since another member
    may be paid the same periods for the household."""
    home = next((c.certification.household_key for c in candidates
                 if c.certification.household_key is not None), None)
    if not payments or home is None:
        return payments, []
    if all(p.arrear for p in payments):
        return [], []
    person = payments[0].person_key
    if paid_by.get(home, set()) - {person}:
        return [], [Skip(person, payments[0].certification_id, HOUSEHOLD_PAID)]
    paid_by.setdefault(home, set()).add(person)
    return payments, []


def plan_person(candidates: Sequence[Candidate], table: AmountTable
                ) -> tuple[list[PlannedPayment], list[Skip]]:
    """The payments and skips for one person's certifications active in the run's period."""
    payments: list[PlannedPayment] = []
    skipped: list[Skip] = []
    ordered = sorted(candidates, key=lambda c: (c.certification.effective_from,
                                                c.certification.id))
    for candidate in ordered:
        cert = candidate.certification
        if not cert.active_in(table.run.period):
            continue
        reason = _skip_reason(candidate, table, paying=bool(payments))
        if reason is not None:
            skipped.append(Skip(cert.person_key, cert.id, reason))
            continue
        payments.extend(_owed(candidate, table))
    for candidate in ordered:  # `ArrearsOwedWhateverFollowed`
        if not candidate.certification.active_in(table.run.period):
            planned = {p.period for p in payments}
            payments.extend(p for p in _arrears(candidate, table) if p.period not in planned)
    return payments, skipped


def exclusive_precedes(other: Certification, mine: Certification) -> bool:
    """Whether a certification of an exclusive program takes precedence over `mine`: it
    started earlier (on the same day: the smaller id)."""
    return (other.effective_from, other.id) < (mine.effective_from, mine.id)


def build_roster(candidates: Iterable[Candidate], table: AmountTable) -> Roster:
    """The whole roster from candidates in any order (grouped by person here)."""
    roster = Roster(table.run.policy_version)
    by_person = sorted(candidates, key=lambda c: c.certification.person_key)
    for _, group in groupby(by_person, key=lambda c: c.certification.person_key):
        payments, skipped = plan_person(list(group), table)
        roster.payments += payments
        roster.skipped += skipped
    roster.skipped.sort(key=lambda s: s.certification_id)
    return roster


def _skip_reason(candidate: Candidate, table: AmountTable, *, paying: bool) -> str | None:
    cert, period = candidate.certification, table.run.period
    if (is_one_off(period) and period not in candidate.paid_periods
            and any(is_one_off(p) for p in candidate.paid_periods)):
        return ONE_OFF_PAID
    obstacle = PLANNABLE.obstacle(candidate.facts(period))
    if obstacle is not None:
        return obstacle
    if period in candidate.excluded_periods:
        return EXCLUSIVE_PAID
    if paying:
        return DUPLICATE
    if table.run.amount(cert.category) is None:
        return f"category {cert.category!r} has no amount in policy {table.run.policy_version}"
    if period in candidate.refused_periods:
        return ACCOUNT_REFUSED
    return None


def _owed(candidate: Candidate, table: AmountTable) -> list[PlannedPayment]:
    cert, account = candidate.certification, candidate.account
    assert account is not None
    owed = _arrears(candidate, table)
    amount = table.run.amount(cert.category)
    assert amount is not None
    rest = owed_after_offsets(candidate, table.run.period, amount)
    if rest > 0:
        owed.append(PlannedPayment(cert.id, cert.person_key, table.run.period, rest, account,
                                   certified_from=cert.effective_from))
    return owed


def _arrears(candidate: Candidate, table: AmountTable) -> list[PlannedPayment]:
    """The earlier periods of the window the certification was owed for and `PLANNABLE`
    allows (an account among them), not refused to the current account, at each period's
    amount for the category in force then."""
    cert, account = candidate.certification, candidate.account
    owed = []
    for earlier in table.arrears:
        amount = earlier.amount(cert.category)
        if (amount is None or not PLANNABLE.allows(candidate.facts(earlier.period))
                or not cert.owed_in(earlier.period)
                or earlier.period in candidate.refused_periods
                or earlier.period in candidate.excluded_periods):
            continue
        rest = owed_after_offsets(candidate, earlier.period, amount)
        if rest > 0:
            assert account is not None  # `PaymentRequiresPayeeAccount`
            owed.append(PlannedPayment(cert.id, cert.person_key, earlier.period, rest, account,
                                       arrear=True, certified_from=cert.effective_from))
    return owed


def owed_after_offsets(candidate: Candidate, period: str, amount_fen: int) -> int:
    """What is still owed for a period's benefit once the offsets already recorded against
    it are counted as paid: a period an offset reduced whose payment of the rest failed or
    came back is paid again only for the rest, never for the part the receivable already
    took (that would pay it twice: once as the debt reduced, once in cash)."""
    return max(amount_fen - candidate.withheld.get(period, 0), 0)


@dataclass(frozen=True)
class RosterQuery:
    """What a run's roster is frozen from: the program, division, amounts of the run's
    period and arrears window, when the run starts and how recent an account change is
    flagged; its payments are cut into chunks of `chunk_size` for the payers."""

    run_id: str
    program_code: str
    division_code: str
    table: AmountTable
    started_at: datetime
    flag_days: int
    chunk_size: int
    per_household: bool = False
    """The program pays once per household (`paid_to = "household"`)."""
    offset_allowed: bool = False
    """The policy of the run's period lets an open receivable be offset against what the
    run owes the same household (`offsets.py`)."""
    exclusive_with: frozenset[str] = frozenset()
    """The programs the policy declares exclusive with the run's
    (`ExclusiveProgramsPayOnce`)."""
    top_ups: AmountTable | None = None
    """The amounts of every earlier period a top-up after a raise may be owed for (since
    the first run, beyond the arrears window); None: the arrears window's."""


@dataclass
class FrozenRoster:
    """What freezing wrote: the control totals, the arrears among them, skips, flags and
    offsets."""

    payee_count: int = 0
    total_fen: int = 0
    arrears_count: int = 0
    arrears_fen: int = 0
    skipped: list[Skip] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    offsets: list[Offset] = field(default_factory=list)
    """What open receivables took from the entitlements (`offsets.apply_offsets`)."""

    def add(self, payments: Sequence[PlannedPayment]) -> None:
        self.payee_count += len(payments)
        self.total_fen += sum(p.amount_fen for p in payments)
        arrears = [p.amount_fen for p in payments if p.arrear]
        self.arrears_count += len(arrears)
        self.arrears_fen += sum(arrears)


@dataclass(frozen=True)
class Flag:
    """Something oversight should look at before money moves; the run still pays."""

    person_key: str
    certification_id: str
    reason: str
    registered_at: datetime


def account_change_flag(person_key: str, certification_id: str, *,
                        registered_at: datetime | None,
                        previous_registered_at: datetime | None, run_started_at: datetime,
                        days: int) -> Flag | None:
    """`RecentAccountChangeIsFlagged`: an account that replaced another in the `days` before
    the run is flagged to oversight (a first registration is not a change)."""
    if registered_at is None or previous_registered_at is None:
        return None
    age = run_started_at - registered_at
    if age.days >= days:
        return None
    return Flag(person_key, certification_id,
                ACCOUNT_CHANGED.format(days=max(age.days, 0)),
                registered_at)
