"""The figures an auditor reconciles per program and period: certified vs. allocated vs.
paid vs. settled, and the rules for keeping them from events that may arrive out of order.

A payment run's status only moves forward, so a late or redelivered event never sets it
back. Division scope follows GB/T 2260: a province (`420000`) covers its prefectures and
counties, a prefecture (`420100`) its counties, a county only itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from siquan.contracts.types import division_scope as division_prefix

RUN_STATUS_RANK: dict[str, int] = {
    "started": 1,
    "allocation_requested": 2,
    "allocated": 3,
    "allocation_rejected": 3,
    "paying": 4,
    "completed": 5,
    "settled": 6,
}

RUN_STATUS_AFTER: dict[str, str] = {
    "run.started.v1": "started",
    "allocation.requested.v1": "allocation_requested",
    "allocation.approved.v1": "allocated",
    "allocation.rejected.v1": "allocation_rejected",
    "payments.settled.v1": "paying",
    "payments.failed.v1": "paying",
    "run.completed.v1": "completed",
    "settlement.completed.v1": "settled",
}


def advance(current: str | None, new: str) -> str:
    """The run's status after an event saying `new`: never moves backwards."""
    if current is None or RUN_STATUS_RANK[new] > RUN_STATUS_RANK[current]:
        return new
    return current


def covers(scope: str, division_code: str) -> bool:
    return division_code.startswith(division_prefix(scope))


@dataclass(frozen=True)
class RunFigures:
    run_id: str
    division_code: str
    status: str
    allocated_fen: int
    paid_fen: int
    settled_fen: int


@dataclass(frozen=True)
class ProgramReport:
    """One program's figures for one period, within a division (None: everywhere)."""

    program_code: str
    period: str
    division_code: str | None
    certified_count: int
    allocated_fen: int
    paid_fen: int
    paid_count: int
    failed_fen: int
    failed_count: int
    settled_fen: int
    runs: list[RunFigures] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
