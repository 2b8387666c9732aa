"""What the reconciliation rules need from a unit of work: the facts they remember, the
settled payments, fund movements, and findings with their holds and flags. PostgreSQL
implements them in `reconciliation.adapters`, memory in `adapters.memory`.

Facts an event tells (`add_*`) are recorded on the spot and written, for the whole batch,
before its steps run; everything else happens when called.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from siquan.contracts.disbursement_v1 import SettledPayment
from siquan.oversight.application.ports import Unit
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.oversight.reconciliation.domain.bank import Answer, OpenDispute
from siquan.oversight.reconciliation.domain.conduct import Movement
from siquan.oversight.reconciliation.domain.duplicates import AccountUse
from siquan.oversight.reconciliation.domain.entitlement import (
    CertificationRecord,
    ChangeKind,
    Death,
)
from siquan.oversight.reconciliation.domain.findings import Finding, Flag
from siquan.oversight.reconciliation.domain.payments import RunFacts, SettledItem
from siquan.oversight.reconciliation.domain.timeliness import DivisionTimeliness


@dataclass(frozen=True)
class Chunk:
    """A chunk of settled payments as one message reported it (thousands of payments: the
    contract's own objects, made into `SettledItem`s only when asked)."""

    message_id: str
    run_id: str
    program_code: str
    period: str
    division_code: str
    payments: tuple[SettledPayment, ...]

    def period_of(self, payment: SettledPayment) -> str:
        """The period a payment pays (an arrear's own, else the run's)."""
        return payment.period or self.period

    @property
    def items(self) -> tuple[SettledItem, ...]:
        return tuple(SettledItem(p.payment_id, p.person_key, p.certification_id,
                                 self.program_code, self.period_of(p), p.item, p.amount_fen,
                                 self.division_code, self.run_id, self.message_id,
                                 p.transferred_as)
                     for p in self.payments)


@dataclass(frozen=True)
class Expectation:
    """What the policy owes one person of a category for a period, in a program and
    division (None: it sets no amount), and the period's last day."""

    program_code: str
    division_code: str
    category: str
    period: str
    amount_fen: int | None
    period_end: date


@dataclass(frozen=True)
class Settling:
    """What storing a batch's chunks found among their new payments."""

    suspects: list[SettledItem]
    """Every payment that may break a rule (a superset: the rules judge each)."""
    again: list[tuple[SettledItem, str, str]]
    """Payments paying what another live payment paid before (or, in the batch, one with a
    smaller id) by another transfer (`SettledItem.transfer`): (payment, the other payment,
    its message)."""
    accounts_changed: list[tuple[SettledItem, str]]
    """Payments whose payee's account in force when their run started (its business time)
    had replaced another within the window before: (payment, message id of the
    replacement)."""


@dataclass(frozen=True)
class Repeat:
    """A live payment of what a returned payment paid (`Settled.repeats_of_returned`)."""

    payment_id: str
    person_key: str
    returned_id: str
    """The returned payment it repeats."""
    occurred_at: datetime | None
    """When its chunk occurred, as its producer signed it (None: not stated)."""


class Watched(Protocol):
    def add_application(self, *, application_id: str, program_code: str,
                        division_code: str, submitted_by: str, submitted_at: datetime,
                        message_id: str) -> None: ...

    def add_review(self, *, application_id: str, reviewed_by: str, stage: str,
                   outcome: str, message_id: str) -> None: ...

    def add_certification(self, cert: CertificationRecord, approved_at: datetime) -> None: ...

    def add_change(self, *, certification_id: str, kind: ChangeKind, effective_from: date,
                   message_id: str) -> None: ...

    def add_case_change(self, *, certification_id: str, effective_from: date,
                        division_code: str, category: str, decided_at: datetime,
                        message_id: str) -> None:
        """A transfer or change of category: the county and category from its day."""

    def add_death(self, death: Death) -> None:
        """Keep the earliest date of death reported for a person."""

    def forget_death(self, *, person_key: str, date_of_death: date,
                     certification_ids: Sequence[str], revoked_from: date) -> None:
        """A death recorded in error (corrected): the person's death of that date and the
        revocations it made of these certifications from `revoked_from` never were."""

    def add_payee_account(self, *, person_key: str, registered_by: str,
                          registered_at: datetime, replaces_previous: bool,
                          message_id: str, awaiting_confirmation: bool = False) -> None: ...

    def add_account_confirmation(self, *, person_key: str, registered_at: datetime,
                                 confirmed_at: datetime, message_id: str) -> None:
        """A checker confirmed the change registered at `registered_at` (it is in force
        from `confirmed_at`)."""

    def add_run(self, *, run_id: str, program_code: str, period: str, division_code: str,
                message_id: str, started_by: str | None = None,
                started_at: datetime | None = None) -> None:
        """A run disbursement announced: by starting it, or by asking funds for it."""

    def add_household(self, *, person_key: str, household_key: str,
                      message_id: str) -> None:
        """The household a certification named for the person (the latest wins)."""

    def add_account_use(self, use: AccountUse, registered_at: datetime) -> None:
        """The account the person is paid into from `registered_at` (a later one wins)."""

    async def account_uses(self, fingerprints: Iterable[str]
                           ) -> dict[str, list[AccountUse]]:
        """Fingerprint → the payees paid into that account now, with their households,
        in registration order."""

    async def household_certifications(self, person_keys: Iterable[str]
                                       ) -> dict[str, list[CertificationRecord]]:
        """Person → the certifications of every member of their household (themselves
        included); persons without a known household are absent."""

    async def township_reviewers(self, application_ids: Iterable[str]
                                 ) -> dict[str, dict[str, str]]:
        """Application → (officer → message id) of its township reviews."""

    async def payee_registrations(self, person_keys: Iterable[str]
                                  ) -> dict[str, list[tuple[str, str]]]:
        """Person → (registering officer, message id) of each account registration."""

    async def certifications(self, ids: Iterable[str]) -> dict[str, CertificationRecord]: ...

    async def certifications_of_persons(self, person_keys: Iterable[str]
                                        ) -> dict[str, list[CertificationRecord]]: ...

    async def deaths(self, person_keys: Iterable[str]) -> dict[str, Death]: ...

    async def runs(self, run_ids: Iterable[str]) -> dict[str, RunFacts]: ...

    async def runs_of(self, program_code: str, period: str, division_code: str
                      ) -> list[RunFacts]: ...

    async def unswept_periods(self) -> list[tuple[str, str, str]]:
        """(program, period, county) of runs whose omissions were not yet looked for."""

    async def mark_swept(self, program_code: str, period: str, division_code: str,
                         at: datetime) -> None: ...

    async def timeliness(self, *, now: datetime, target_days: int, since: datetime,
                         until: datetime, division_prefix: str = "",
                         program_code: str | None = None) -> list[DivisionTimeliness]: ...


class Settled(Protocol):
    def store(self, chunk: Chunk) -> None:
        """Store the chunk's payments with the batch's facts (a payment stored before is
        kept as it was)."""

    async def settle(self, chunks: Sequence[Chunk], expectations: Sequence[Expectation],
                     account_window: timedelta) -> Settling:
        """What is to be judged among the payments these chunks stored for the first
        time (a payment stored before is not looked at again)."""

    async def of_certifications(self, pairs: Iterable[tuple[str, str]]
                                ) -> list[SettledItem]:
        """The payments resting on these (person key, certification id) pairs."""

    async def answers(self, payment_ids: Sequence[str]) -> dict[str, Answer]:
        """Payment id → the logged chunk that settled or refused it (the latest, if the
        bank answered it twice); payments no logged chunk answers are left out."""

    async def of_persons(self, person_keys: Iterable[str]) -> list[SettledItem]: ...

    async def by_ids(self, payment_ids: Iterable[str]) -> list[SettledItem]: ...

    async def mark_checked(self, payment_ids: Iterable[str]) -> None: ...

    async def repeats_of_returned(self, payment_ids: Iterable[str]) -> list[Repeat]:
        """The live payments of the same person, program, period and item as these
        returned ones (by another transfer) that no live payment stored before them
        repeats: each would be paid once now."""

    def mark_returned(self, payment_ids: Iterable[str]) -> None:
        """Mark these payments returned with the batch's facts, after its chunks are
        stored: a payment stored in the same batch is marked too, before any rule judges
        a payment of the batch."""

    async def unchecked(self, grace_seconds: float, limit: int = 1000) -> list[SettledItem]:
        """Payments whose certification was still unknown after the grace period (locked)."""

    async def unpaid(self, *, program_code: str, period: str, division_code: str,
                     period_end: date) -> list[str]:
        """Certifications of the county in force by the period's end whose person has no
        live payment of the period's benefit."""


class Funds(Protocol):
    def add_movement(self, movement: Movement) -> None: ...

    async def reservations(self, run_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """Run → (amount reserved, message id) of its first reservation."""

    async def unmatched(self, grace_seconds: float, limit: int = 1000
                        ) -> tuple[list[str], list[Movement]]:
        """Movements waiting longer than the grace period: (matched since, without run)."""

    async def mark_checked(self, message_ids: list[str]) -> None: ...


class Findings(Protocol):
    async def insert_finding(self, finding_id: str, f: Finding, raised_at: datetime
                             ) -> bool:
        """Store a new finding; False when one with its key exists."""

    async def set_finding_message(self, finding_id: str, message_id: str) -> None: ...

    async def open_by_keys(self, dedup_keys: Iterable[str]) -> dict[str, str]:
        """Key → id of the open finding raised under it (keys without one left out)."""

    async def active_hold(self, person_key: str, program_code: str | None) -> str | None: ...

    async def open_result_disputes(self, run_ids: Sequence[str]) -> dict[str, OpenDispute]:
        """Payment id → the open `bank_result_differs` finding of a line that holds the
        payment up (`DISPUTED_KINDS`), of these runs."""

    async def held_by_findings(self, person_key: str) -> list[dict[str, Any]]:
        """The person's holds in force that a finding placed, each with the finding's id,
        rule, certification and status (`hold_id`, `finding_id`, `rule`,
        `certification_id`, `status`)."""

    async def insert_hold(self, *, hold_id: str, person_key: str, program_code: str | None,
                          division_code: str | None, finding_id: str | None, reason: str,
                          placed_by: str, placed_at: datetime, message_id: str,
                          evidence: tuple[str, ...] = ()) -> None: ...

    async def insert_flag(self, flag_id: str, flag: Flag, raised_at: datetime) -> bool: ...

    async def await_evidence(self, f: Finding, waiting_for: tuple[str, ...],
                             at: datetime) -> None:
        """Keep (or keep again) a finding as incomplete evidence, unless it was raised."""

    async def awaiting_keys(self, rules: Sequence[str]) -> list[str]:
        """The keys of these rules' findings still waiting for evidence."""

    async def settle_awaiting(self, rule: str, at: datetime,
                              keys: Sequence[str] | None = None) -> int:
        """The rule's findings that waited for evidence, judged again now the evidence is
        complete (only those with these keys, if given): `raised` if the finding now
        exists, else `withdrawn`; how many."""

    async def held_persons(self, person_keys: list[str], program_code: str) -> set[str]: ...

    async def get_finding(self, finding_id: str, *, lock: bool = False
                          ) -> dict[str, Any] | None: ...

    async def resolve_finding(self, finding_id: str, *, outcome: str, resolution: str,
                              resolved_by: str, resolved_at: datetime,
                              message_id: str) -> None: ...

    async def run_division(self, run_id: str) -> str | None:
        """The division of a run oversight heard disbursement start (None: never heard)."""

    async def active_run_hold(self, run_id: str) -> str | None: ...

    async def insert_run_hold(self, *, hold_id: str, run_id: str, division_code: str,
                              reason: str, evidence: tuple[str, ...], placed_by: str,
                              placed_at: datetime, message_id: str) -> None: ...

    async def get_hold(self, hold_id: str, *, lock: bool = False) -> dict[str, Any] | None: ...

    async def lift_hold(self, hold_id: str, *, lifted_by: str, lifted_at: datetime,
                        reason: str, message_id: str) -> None: ...


class RuleUnit(Unit, Protocol):
    @property
    def config(self) -> RuleConfig: ...

    @property
    def watched(self) -> Watched: ...

    @property
    def settled(self) -> Settled: ...

    @property
    def funds(self) -> Funds: ...

    @property
    def findings(self) -> Findings: ...
