"""Statements (一鼓励): what was certified, allocated and paid for one person, per program
and period, so a beneficiary (or an officer on their behalf) can see a payment that is
missing or short and complain about it.

A period is listed when the person had a payment line in it (settled, failed, or skipped
with a reason), or when a run of their program and division exists for a period they were
certified for — a run that paid them nothing then shows as outstanding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from siquan.contracts.periods import period_start

ACTIVE_AFTER: dict[str, bool] = {"granted": True, "renewed": True, "reinstated": True,
                                 "revoked": False, "lapsed": False, "suspended": False}

Amount = Callable[[str, str, str, str], "int | None"]
"""Fen owed for (program, category, period, division), None when the policy says none."""


@dataclass(frozen=True)
class CertificationChange:
    certification_id: str
    change: str
    program_code: str
    division_code: str
    effective_from: date
    seq: int
    category: str | None = None
    valid_until: date | None = None
    reason: str | None = None
    masked_name: str | None = None
    masked_resident_id: str | None = None


@dataclass(frozen=True)
class PaymentLine:
    outcome: str  # settled, failed, returned (settled, then sent back) or skipped
    run_id: str
    program_code: str
    period: str
    division_code: str
    certification_id: str | None = None
    item: str | None = None
    amount_fen: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class Agency:
    """The payee agent (代领人) who collects for the person now: masked, with what the
    agency rests on."""

    masked_resident_id: str
    evidence_kind: str
    since: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"masked_resident_id": self.masked_resident_id,
                "evidence_kind": self.evidence_kind, "since": self.since.isoformat()}


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    program_code: str
    period: str
    division_code: str
    status: str
    allocated: bool


@dataclass(frozen=True)
class Certification:
    """One certification's history, oldest change first."""

    changes: tuple[CertificationChange, ...]

    @property
    def granted(self) -> CertificationChange:
        return next((c for c in self.changes if c.change == "granted"), self.changes[0])

    @property
    def status(self) -> str:
        last = max(self.changes, key=lambda c: c.seq).change
        return "active" if ACTIVE_AFTER[last] else last

    def certified_on(self, day: date) -> bool:
        active = False
        for change in sorted(self.changes, key=lambda c: (c.effective_from, c.seq)):
            if change.effective_from > day:
                break
            active = ACTIVE_AFTER[change.change]
        return active

    def as_dict(self) -> dict[str, Any]:
        first = self.granted
        until = [c.valid_until for c in self.changes if c.valid_until is not None]
        return {"certification_id": first.certification_id,
                "program_code": first.program_code, "category": first.category,
                "division_code": first.division_code, "masked_name": first.masked_name,
                "masked_resident_id": first.masked_resident_id,
                "effective_from": first.effective_from.isoformat(),
                "valid_until": max(until).isoformat() if until else None,
                "status": self.status,
                "history": [{"change": c.change, "effective_from": c.effective_from.isoformat(),
                             "reason": c.reason} for c in sorted(self.changes,
                                                                 key=lambda c: c.seq)]}


@dataclass(frozen=True)
class PeriodLine:
    program_code: str
    period: str
    certified: bool
    category: str | None
    certified_fen: int
    allocated: bool
    run_ids: tuple[str, ...]
    payments: tuple[PaymentLine, ...]

    def _sum(self, outcome: str) -> int:
        return sum(p.amount_fen for p in self.payments if p.outcome == outcome)

    @property
    def paid_fen(self) -> int:
        """Settled and kept: a payment the bank returned was not received."""
        return self._sum("settled") - self._sum("returned")

    @property
    def returned_fen(self) -> int:
        return self._sum("returned")

    @property
    def failed_fen(self) -> int:
        return self._sum("failed")

    @property
    def outstanding_fen(self) -> int:
        return max(self.certified_fen - self.paid_fen, 0) if self.certified else 0

    def as_dict(self) -> dict[str, Any]:
        return {"program_code": self.program_code, "period": self.period,
                "certified": self.certified, "category": self.category,
                "certified_fen": self.certified_fen, "allocated": self.allocated,
                "paid_fen": self.paid_fen, "failed_fen": self.failed_fen,
                "returned_fen": self.returned_fen,
                "outstanding_fen": self.outstanding_fen, "run_ids": list(self.run_ids),
                "payments": [{"outcome": p.outcome, "item": p.item,
                              "amount_fen": p.amount_fen, "reason": p.reason}
                             for p in self.payments]}


@dataclass(frozen=True)
class Statement:
    person_key: str
    certifications: tuple[Certification, ...]
    periods: tuple[PeriodLine, ...]
    collected_by: Agency | None = None
    """The agent the payments go to, when one collects for the person."""

    def as_dict(self, *, public: bool = False) -> dict[str, Any]:
        periods = [p.as_dict() for p in self.periods]
        totals = {name: sum(p[name] for p in periods)
                  for name in ("certified_fen", "paid_fen", "failed_fen", "returned_fen",
                                "outstanding_fen")}
        shown: dict[str, Any] = {} if public else {"person_key": self.person_key}
        return {**shown, "certifications": [c.as_dict() for c in self.certifications],
                "periods": periods, "totals": totals,
                "collected_by_agent": self.collected_by is not None,
                "agent": None if self.collected_by is None else self.collected_by.as_dict()}


def certifications_of(changes: Iterable[CertificationChange]) -> tuple[Certification, ...]:
    by_id: dict[str, list[CertificationChange]] = {}
    for change in sorted(changes, key=lambda c: c.seq):
        by_id.setdefault(change.certification_id, []).append(change)
    return tuple(Certification(tuple(found)) for found in by_id.values())


def _period_key(key: tuple[str, str]) -> tuple[str, date, str]:
    return key[0], period_start(key[1]), key[1]


def build_statement(person_key: str, changes: Iterable[CertificationChange],
                    lines: Iterable[PaymentLine], runs: Iterable[RunFacts],
                    amount: Amount) -> Statement:
    certifications = certifications_of(changes)
    lines, runs = tuple(lines), tuple(runs)

    def certification_for(program: str, period: str) -> Certification | None:
        day = period_start(period)
        return next((c for c in certifications if c.granted.program_code == program
                     and c.certified_on(day)), None)

    keys = {(line.program_code, line.period) for line in lines}
    keys |= {(run.program_code, run.period) for run in runs
             if (found := certification_for(run.program_code, run.period)) is not None
             and run.division_code == found.granted.division_code}
    periods = []
    for program, period in sorted(keys, key=_period_key):
        found = certification_for(program, period)
        paid_in = tuple(line for line in lines
                        if (line.program_code, line.period) == (program, period))
        run_ids = {line.run_id for line in paid_in}
        its_runs = [run for run in runs if (run.program_code, run.period) == (program, period)
                    and (run.run_id in run_ids or (found is not None and run.division_code
                                                   == found.granted.division_code))]
        category = found.granted.category if found else None
        owed = (amount(program, category, period, found.granted.division_code)
                if found and category else None)
        periods.append(PeriodLine(
            program_code=program, period=period, certified=found is not None,
            category=category, certified_fen=owed or 0,
            allocated=any(run.allocated for run in its_runs),
            run_ids=tuple(sorted(run_ids | {run.run_id for run in its_runs})),
            payments=paid_in))
    return Statement(person_key, certifications, tuple(periods))
