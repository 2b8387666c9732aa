"""Recovery (追回) as oversight follows it: each receivable disbursement recorded, tracked
to its closure by what repaid, offset or wrote it off, and the recovery rate — recovered
(repaid + offset) fen over receivable fen — per program and fiscal year. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["open", "partly_repaid", "repaid", "offset", "written_off"]
STATUSES: tuple[Status, ...] = ("open", "partly_repaid", "repaid", "offset", "written_off")


def status_of(total_fen: int, repaid_fen: int, offset_fen: int, written_off_fen: int) -> Status:
    """open: nothing recovered; partly_repaid: some, not all; repaid, offset, written_off:
    closed, named by what closed the most of it (repayments first on a tie)."""
    done = repaid_fen + offset_fen + written_off_fen
    if done <= 0:
        return "open"
    if done < total_fen:
        return "partly_repaid"
    amounts = (repaid_fen, offset_fen, written_off_fen)
    best = max(range(3), key=lambda i: (amounts[i], -i))
    return ("repaid", "offset", "written_off")[best]


def rate(recovered_fen: int, receivable_fen: int) -> tuple[int | None, str | None]:
    """The recovery rate in basis points (rounded down) and as a decimal string with four
    places; None when nothing was receivable."""
    if receivable_fen <= 0:
        return None, None
    bp = recovered_fen * 10_000 // receivable_fen
    exact = recovered_fen * 10_000 / receivable_fen  # shown only, never summed
    return bp, f"{exact / 10_000:.4f}"


@dataclass
class TrackedReceivable:
    receivable_id: str
    division_code: str
    cause: str
    total_fen: int
    recorded_at: str
    repaid_fen: int = 0
    offset_fen: int = 0
    written_off_fen: int = 0
    periods: Mapping[str, int] = field(default_factory=dict)

    @property
    def recovered_fen(self) -> int:
        return self.repaid_fen + self.offset_fen

    @property
    def outstanding_fen(self) -> int:
        return self.total_fen - self.recovered_fen - self.written_off_fen

    @property
    def status(self) -> Status:
        return status_of(self.total_fen, self.repaid_fen, self.offset_fen, self.written_off_fen)

    def as_dict(self) -> dict[str, Any]:
        return {"receivable_id": self.receivable_id, "division_code": self.division_code,
                "cause": self.cause, "total_fen": self.total_fen,
                "repaid_fen": self.repaid_fen, "offset_fen": self.offset_fen,
                "written_off_fen": self.written_off_fen,
                "outstanding_fen": self.outstanding_fen, "status": self.status,
                "closed": self.outstanding_fen == 0, "periods": dict(self.periods),
                "recorded_at": self.recorded_at}


def recovery_report(program_code: str, fiscal_year: int, division_code: str | None,
                    receivables: Iterable[TrackedReceivable],
                    unmatched_recoveries: int) -> dict[str, Any]:
    tracked = list(receivables)
    receivable = sum(r.total_fen for r in tracked)
    recovered = sum(r.recovered_fen for r in tracked)
    bp, decimal = rate(recovered, receivable)
    by_status = dict.fromkeys(STATUSES, 0)
    for r in tracked:
        by_status[r.status] += 1
    return {"program_code": program_code, "fiscal_year": fiscal_year,
            "division_code": division_code, "receivable_count": len(tracked),
            "receivable_fen": receivable,
            "repaid_fen": sum(r.repaid_fen for r in tracked),
            "offset_fen": sum(r.offset_fen for r in tracked),
            "written_off_fen": sum(r.written_off_fen for r in tracked),
            "recovered_fen": recovered,
            "outstanding_fen": sum(r.outstanding_fen for r in tracked),
            "recovery_rate_bp": bp, "recovery_rate": decimal, "by_status": by_status,
            "closed_count": sum(1 for r in tracked if r.outstanding_fen == 0),
            "recoveries_awaiting_their_receivable": unmatched_recoveries,
            "receivables": [r.as_dict() for r in tracked]}
