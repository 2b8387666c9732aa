"""What a person was owed for a period, as oversight learnt it from eligibility's and the
partners' events: a certification's timeline (granted, then revoked, lapsed, suspended,
reinstated or renewed from given days), deaths, and the policy's amount.

The rule matches disbursement's: a certification is owed for a period when it is active
on some day of the period; a death ends every benefit from the first day of the month
after it. A revocation is final; a lapse ends the benefit until a renewal or
reinstatement; a suspension stops it until a reinstatement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from siquan.contracts.periods import first_day_of_next_month, period_end, period_start
from siquan.contracts.policy import PolicyCatalogue

ChangeKind = Literal["revoked", "lapsed", "suspended", "reinstated", "renewed"]
Status = Literal["not_yet", "active", "suspended", "lapsed", "revoked"]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    effective_from: date
    message_id: str


@dataclass(frozen=True)
class Death:
    person_key: str
    date_of_death: date
    message_id: str

    @property
    def benefits_end(self) -> date:
        """The first day nothing is owed any more."""
        return first_day_of_next_month(self.date_of_death)

    def ends_before(self, period: str) -> bool:
        return self.benefits_end <= period_start(period)


def _after(status: Status, kind: ChangeKind) -> Status:
    if status == "revoked":
        return status
    if kind in ("revoked", "lapsed", "suspended"):
        return kind
    if kind == "renewed" and status == "suspended":
        return status  # a renewal does not lift a suspension
    return "active"


@dataclass(frozen=True)
class CaseChange:
    """From `effective_from` (a month's first day) the certification belongs to
    `division_code` and is of `category`."""

    effective_from: date
    division_code: str
    category: str


@dataclass(frozen=True)
class CertificationRecord:
    """A certification as granted, with the changes heard since (in arrival order)."""

    certification_id: str
    person_key: str
    program_code: str
    category: str
    division_code: str
    effective_from: date
    application_id: str | None
    reviewed_by: str
    approved_by: str
    granted_message: str
    changes: tuple[Change, ...] = ()
    case_changes: tuple[CaseChange, ...] = ()
    """Transfers and changes of category, by their day (and order of decision)."""

    def _case_in(self, period: str) -> CaseChange | None:
        start = period_start(period)
        return next((c for c in reversed(self.case_changes) if c.effective_from <= start),
                    None)

    def category_in(self, period: str) -> str:
        """The category owed in the period (a change of category applies from its day)."""
        change = self._case_in(period)
        return self.category if change is None else change.category

    def division_in(self, period: str) -> str:
        """The county the certification belonged to in the period (a transfer moves it
        from its day)."""
        change = self._case_in(period)
        return self.division_code if change is None else change.division_code

    def status_on(self, day: date) -> Status:
        if day < self.effective_from:
            return "not_yet"
        status: Status = "active"
        for change in sorted(self.changes, key=lambda c: c.effective_from):
            if change.effective_from > day:
                break
            status = _after(status, change.kind)
        return status

    def owed_in(self, period: str) -> bool:
        start, end = period_start(period), period_end(period)
        turns = {start, self.effective_from, *(c.effective_from for c in self.changes)}
        return any(self.status_on(day) == "active" for day in turns if start <= day <= end)

    def ending_changes(self, period: str) -> tuple[str, ...]:
        """Message ids of the changes in force when the period began."""
        start = period_start(period)
        return tuple(c.message_id for c in self.changes if c.effective_from <= start)


def with_changes(records: Iterable[CertificationRecord],
                 changes: dict[str, list[Change]],
                 case_changes: dict[str, list[CaseChange]] | None = None
                 ) -> dict[str, CertificationRecord]:
    """The records by id, each carrying its changes (and its transfers and changes of
    category, in the order they apply)."""
    cases = case_changes or {}
    found = {r.certification_id: (replace(r, changes=tuple(changes[r.certification_id]))
                                  if r.certification_id in changes else r)
             for r in records}
    return {k: (replace(r, case_changes=tuple(cases[k])) if k in cases else r)
            for k, r in found.items()}


def policy_amount(catalogue: PolicyCatalogue, program_code: str, category: str,
                  period: str, division_code: str) -> int | None:
    """The amount owed for one period by the policy in force on its first day, for the
    category (and division, where the catalogue distinguishes them); None when the policy
    has none."""
    by_division: Any = getattr(catalogue, "amount_for", None)
    try:
        if by_division is not None:
            return int(by_division(program_code, category, period, division_code))
        return catalogue.in_force(program_code, period_start(period)).benefit(
            category).amount_fen
    except (KeyError, ValueError):
        return None
