"""The payment run aggregate: awaiting_allocation → allocated → completed.

A run is `regular` (a program's period in a division) or a `retry` of another run's failed
and returned payments, paid in the same period under an allocation of its own.

A rejected allocation leaves the run `waiting` for funds; a later approval moves it on
(a rejection that arrives after the approval is older than it, and changes nothing).
Nothing goes to the bank before the run is allocated, and an allocation must match the
run and its control total exactly. A run completes only when every payment has a final
result and the results add up to the control totals fixed at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from siquan.disbursement.domain.errors import Refused

RunStatus = Literal["awaiting_allocation", "allocated", "waiting", "completed"]
RunKind = Literal["regular", "retry"]


@dataclass(frozen=True)
class RunTotals:
    """Where a run's payments stand: counts and sums by result."""

    settled_count: int = 0
    settled_fen: int = 0
    failed_count: int = 0
    failed_fen: int = 0
    cancelled_count: int = 0
    cancelled_fen: int = 0
    pending_count: int = 0
    pending_fen: int = 0
    returned_count: int = 0
    returned_fen: int = 0

    @property
    def bank_settled_count(self) -> int:
        """Payments the bank settled, including those it returned later."""
        return self.settled_count + self.returned_count

    @property
    def bank_settled_fen(self) -> int:
        return self.settled_fen + self.returned_fen

    @property
    def final_count(self) -> int:
        return self.bank_settled_count + self.failed_count + self.cancelled_count

    @property
    def final_fen(self) -> int:
        return self.bank_settled_fen + self.failed_fen + self.cancelled_fen


@dataclass
class PaymentRun:
    id: str
    program_code: str
    period: str
    division_code: str
    policy_version: str
    payee_count: int
    total_fen: int
    started_by: str
    started_at: datetime
    status: RunStatus = "awaiting_allocation"
    allocation_id: str | None = None
    rejection_reason: str = ""
    completed_at: datetime | None = None
    kind: RunKind = "regular"
    retry_of: str | None = None

    @property
    def fiscal_year(self) -> int:
        return int(self.period[:4])

    def allocate(self, *, allocation_id: str, program_code: str, period: str,
                 division_code: str, amount_fen: int) -> bool:
        """Record the approved allocation; False when this allocation was already recorded."""
        self._check_matches(program_code, period, division_code, amount_fen)
        if self.allocation_id == allocation_id:
            return False
        if self.status not in ("awaiting_allocation", "waiting"):
            raise Refused(f"run {self.id} is {self.status} with allocation "
                          f"{self.allocation_id}; allocation {allocation_id} is one too many")
        self.status, self.allocation_id, self.rejection_reason = "allocated", allocation_id, ""
        return True

    def reject(self, reason: str) -> bool:
        """The special account could not cover the run: wait for a later allocation.
        False when the run was allocated already (this rejection is the older answer)."""
        if self.status in ("allocated", "completed"):
            return False
        self.status, self.rejection_reason = "waiting", reason
        return True

    def complete(self, totals: RunTotals, at: datetime) -> None:
        if self.status != "allocated":
            raise Refused(f"run {self.id} is {self.status}; only an allocated run completes")
        if totals.pending_count:
            raise Refused(f"run {self.id} still has {totals.pending_count} pending payments")
        if (totals.final_count, totals.final_fen) != (self.payee_count, self.total_fen):
            raise Refused(f"run {self.id} results ({totals.final_count} payments, "
                          f"{totals.final_fen} fen) do not add up to its control totals "
                          f"({self.payee_count}, {self.total_fen} fen)")
        self.status, self.completed_at = "completed", at

    def _check_matches(self, program_code: str, period: str, division_code: str,
                       amount_fen: int) -> None:
        expected = (self.program_code, self.period, self.division_code, self.total_fen)
        if (program_code, period, division_code, amount_fen) != expected:
            raise Refused(f"allocation for {program_code} {period} {division_code} of "
                          f"{amount_fen} fen does not match run {self.id} "
                          f"({expected[0]} {expected[1]} {expected[2]}, {expected[3]} fen)")
