"""The accountability report of one program and period within a division: the figures of
the run (certified, funded, paid, failed, returned, held), 不漏不冒 (omission rate,
suspected false claims, amount mismatches, double payments), findings by category and
status, complaints with their SLA compliance, and certification timeliness by division.
All of it read in one consistent snapshot (the caller's read-only unit)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from siquan.contracts.periods import period_end, period_start
from siquan.oversight.application.ports import ReportReader
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.oversight.reconciliation.application.ports import Watched
from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.findings import FALSE_CLAIM_RULES


class AccountabilityReader(Protocol):
    async def owed_and_unpaid(self, program_code: str, period: str, prefix: str,
                              start: date, end: date) -> tuple[int, int]: ...

    async def skipped_held_returned(self, program_code: str, period: str, prefix: str
                                    ) -> dict[str, int]: ...

    async def findings_summary(self, program_code: str, period: str, prefix: str
                               ) -> list[dict[str, Any]]: ...

    async def active_holds(self, program_code: str, prefix: str) -> int: ...

    async def flag_count(self, program_code: str, period: str, prefix: str) -> int: ...

    async def complaints_by_category(self, prefix: str, since: datetime, until: datetime,
                                     now: datetime) -> list[dict[str, Any]] | None:
        """None when the public side's complaints are not kept here."""


class ReportUnit(Protocol):
    @property
    def accountability(self) -> AccountabilityReader: ...

    @property
    def figures(self) -> ReportReader: ...

    @property
    def watched(self) -> Watched: ...


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _summed(rows: list[dict[str, Any]], *names: str) -> dict[str, int]:
    chosen = [r for r in rows if r["rule"] in names]
    return {"count": sum(r["count"] for r in chosen),
            "amount_fen": sum(r["amount_fen"] for r in chosen)}


def _by_category(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "resolved": 0})
    for row in rows:
        table[row["category"]][row["status"]] += row["count"]
    return dict(table)


async def _complaints(reader: AccountabilityReader, prefix: str, since: datetime,
                      until: datetime, now: datetime) -> dict[str, Any]:
    rows = await reader.complaints_by_category(prefix, since, until, now)
    if rows is None:
        return {"available": False, "by_category": [], "sla_compliance": None}
    judged = sum(r["resolved"] + r["overdue"] for r in rows)
    return {"available": True, "by_category": rows,
            "sla_compliance": _rate(sum(r["resolved_on_time"] for r in rows), judged)}


async def accountability_report(uow: ReportUnit, program_code: str, period: str,
                                division_code: str, prefix: str, *, now: datetime,
                                config: RuleConfig) -> dict[str, Any]:
    start, end = period_start(period), period_end(period)
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end + timedelta(days=1), time(), UTC)
    reader = uow.accountability
    base = await uow.figures.program_report(program_code, period, division_code, prefix)
    certified, unpaid = await reader.owed_and_unpaid(program_code, period, prefix,
                                                     start, end)
    lists = await reader.skipped_held_returned(program_code, period, prefix)
    found = await reader.findings_summary(program_code, period, prefix)
    figures = {
        "certified": certified, "funded_fen": base.allocated_fen,
        "paid_count": base.paid_count, "paid_fen": base.paid_fen,
        "failed_count": base.failed_count, "failed_fen": base.failed_fen,
        "returned_count": lists["returned_count"], "returned_fen": lists["returned_fen"],
        "skipped": lists["skipped"], "held": lists["held"],
        "holds_active": await reader.active_holds(program_code, prefix),
        "settled_fen": base.settled_fen}
    target = config.timeliness
    divisions = await uow.watched.timeliness(
        now=now, target_days=target.days, since=since, until=until,
        division_prefix=prefix, program_code=program_code)
    complaints = await _complaints(reader, prefix, since, until, now)
    flags = await reader.flag_count(program_code, period, prefix)
    return {
        "program_code": program_code, "period": period, "division_code": division_code,
        "figures": figures,
        "no_omission_no_false_claim": {
            "certified": certified, "unpaid": unpaid, "omission_rate": _rate(unpaid, certified),
            "omissions_found": _summed(found, rules.CERTIFIED_NOT_PAID.name),
            "false_claims": _summed(found, *FALSE_CLAIM_RULES),
            "amount_mismatches": _summed(found, rules.AMOUNT_DIFFERS_FROM_POLICY.name,
                                         rules.NO_POLICY_AMOUNT.name),
            "paid_twice": _summed(found, rules.PAID_TWICE.name)},
        "findings": {"by_category": _by_category(found), "by_rule": found},
        "flags": flags,
        "complaints": complaints,
        "timeliness": {"target_days": target.days, "target_rate": target.rate,
                       "divisions": [d.as_dict() for d in divisions]},
        "runs": [asdict(run) for run in base.runs],
    }
