"""The in-memory tables the fakes share (one store per test, like one database)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from siquan.oversight.domain.chain import AuditEntry, ChainHead
from siquan.oversight.public.domain.complaints import Complaint
from siquan.oversight.public.domain.statements import (
    Agency,
    CertificationChange,
    PaymentLine,
)
from siquan.oversight.reconciliation.domain.conduct import Movement
from siquan.oversight.reconciliation.domain.duplicates import AccountUse
from siquan.oversight.reconciliation.domain.entitlement import (
    CaseChange,
    CertificationRecord,
    Change,
    Death,
)
from siquan.oversight.reconciliation.domain.payments import SettledItem


class Conflict(Exception):
    """A uniqueness the database would enforce was broken."""


@dataclass
class StoredPayment:
    item: SettledItem
    run_period: str
    seq: int
    seen_at: datetime
    cert_checked: bool
    returned: bool = False


@dataclass
class StoredRun:
    program_code: str
    period: str
    division_code: str
    started_by: str | None = None
    started_at: datetime | None = None
    started_message: str | None = None
    requested_message: str | None = None
    swept_at: datetime | None = None


@dataclass
class StoredMovement:
    movement: Movement
    seen_at: datetime
    checked: bool


@dataclass
class MemoryStore:
    # the audit log
    entries: list[AuditEntry] = field(default_factory=list)
    head: ChainHead = field(default_factory=lambda: ChainHead(0, "0" * 64))
    checkpoints: list[tuple[int, str, str, datetime]] = field(default_factory=list)
    # the report projections
    certifications: dict[str, dict[str, str]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    allocations: dict[str, tuple[str, int]] = field(default_factory=dict)
    chunks: dict[tuple[str, str, int], tuple[int, int]] = field(default_factory=dict)
    receivables: dict[str, dict[str, Any]] = field(default_factory=dict)
    recoveries: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the public side
    notices: dict[str, dict[str, Any]] = field(default_factory=dict)
    notice_entries: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    complaints: dict[str, tuple[Complaint, str]] = field(default_factory=dict)
    changes: list[tuple[str, CertificationChange]] = field(default_factory=list)
    lines: dict[tuple[str, str], tuple[int, str, PaymentLine]] = field(default_factory=dict)
    # what the rules remember
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[str, dict[str, str]] = field(default_factory=dict)
    watched_certifications: dict[str, tuple[CertificationRecord, datetime]] = field(
        default_factory=dict)
    watched_changes: dict[str, tuple[str, Change]] = field(default_factory=dict)
    watched_case_changes: dict[str, tuple[str, datetime, CaseChange]] = field(
        default_factory=dict)
    deaths: dict[str, Death] = field(default_factory=dict)
    payee_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    households: dict[str, str] = field(default_factory=dict)  # person → household key
    agencies: dict[str, Agency] = field(default_factory=dict)  # person → agent collecting
    account_uses: dict[str, tuple[AccountUse, datetime]] = field(default_factory=dict)
    account_confirmations: dict[str, tuple[str, datetime, datetime]] = field(
        default_factory=dict)
    watched_runs: dict[str, StoredRun] = field(default_factory=dict)
    payments: dict[str, StoredPayment] = field(default_factory=dict)
    movements: dict[str, StoredMovement] = field(default_factory=dict)
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    holds: dict[str, dict[str, Any]] = field(default_factory=dict)
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    awaiting: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Findings waiting for evidence, by key."""
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_seq(self) -> int:
        """The ledger's order (certification changes, lines, settled payments)."""
        return next(self._seq)


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
