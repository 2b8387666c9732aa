"""The monthly report upward (月报, county → city → province): per program and month, per
fiscal level (central, provincial, municipal, county), for the month and for the year to
date, what was forecast, appropriated and spent and what is outstanding, in fen.

- A county's report covers its own special account; a city's (420100) sums the counties
  under its code prefix, a province's (420000) its cities, each part shown as a row.
- forecast: what the certifications payable in the periods that start in the month (year
  to date: up to the month's end) are owed for them, split by the shares of each period
  (the year-to-date forecast of December is the year's forecast of the balances report).
- appropriated: what was booked into the account in the month (year to date: before the
  month's end, including what was booked for the year before it began).
- spent: what was paid for those periods, net of returns (an arrear or a top-up in the
  period it is for, `figures.spent_by_run`; one for a period of an earlier year, paid from
  this year's account, in the run's own period), split by each period's shares.
- outstanding: forecast − appropriated, never negative, per county account; a city's or
  province's is the sum of its counties' (one county's surplus covers no other's need).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from siquan.contracts.periods import period_bounds, period_start, periods_of
from siquan.contracts.types import division_scope
from siquan.fund_custody.adapters.report_views import ReportViews
from siquan.fund_custody.adapters.unit_of_work import FundCustodyWork
from siquan.fund_custody.application.figures import (
    period_cost,
    shares_in,
    spent_by_run,
    spent_levels,
    year_policy,
)
from siquan.fund_custody.domain.forecast import Shares, counts_in, split
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer
from siquan.shared.errors import NotFound

FIGURES = ("forecast_fen", "appropriated_fen", "spent_fen", "outstanding_fen")
SPANS = ("month", "year_to_date")


@dataclass
class Figures:
    """Per span, per level, per figure: fen."""

    values: dict[str, dict[str, dict[str, int]]] = field(default_factory=lambda: {
        span: {level: dict.fromkeys(FIGURES, 0) for level in FISCAL_LEVELS}
        for span in SPANS})

    def add(self, other: Figures) -> None:
        for span in SPANS:
            for level in FISCAL_LEVELS:
                for name in FIGURES:
                    self.values[span][level][name] += other.values[span][level][name]

    def as_dict(self) -> dict[str, Any]:
        levels = [{"fiscal_level": level,
                   **{span: dict(self.values[span][level]) for span in SPANS}}
                  for level in FISCAL_LEVELS]
        totals = {span: {name: sum(self.values[span][lv][name] for lv in FISCAL_LEVELS)
                         for name in FIGURES} for span in SPANS}
        return {"levels": levels, "totals": totals}


def report_level(division_code: str) -> str:
    scope = division_scope(division_code)
    return {2: "province", 4: "city"}.get(len(scope), "county")


def part_of(report_division: str, account_division: str) -> str:
    """The row an account adds to: a province's rows are its cities, a city's and a
    county's their counties."""
    if report_level(report_division) == "province":
        return account_division[:4] + "00"
    return account_division


async def monthly_report(uow: FundCustodyWork, officer: Officer, program_code: str,
                         month: str, division_code: str) -> dict[str, Any]:
    officer.check_scope(division_code)
    year = int(month[:4])
    first, last = period_bounds(month)
    zone = uow.zone
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    views = ReportViews(uow.conn)
    accounts = await views.accounts_within(program_code, year, division_scope(division_code))
    if not accounts:
        raise NotFound(f"no special account of {program_code} for {year} within "
                       f"{division_code}")
    parts: dict[str, Figures] = {}
    counted: dict[str, int] = {}
    for account_id, division in accounts:
        key = AccountKey(program_code, year, division)
        figures = await _account_figures(uow, views, key, account_id, month, start, end)
        row = part_of(division_code, division)
        parts.setdefault(row, Figures()).add(figures)
        counted[row] = counted.get(row, 0) + 1
    total = Figures()
    for figures in parts.values():
        total.add(figures)
    return {"program_code": program_code, "month": month, "fiscal_year": year,
            "division_code": division_code, "report_level": report_level(division_code),
            "accounts": len(accounts), **total.as_dict(),
            "parts": [{"division_code": d, "accounts": counted[d], **parts[d].as_dict()}
                      for d in sorted(parts)]}


async def _account_figures(uow: FundCustodyWork, views: ReportViews, key: AccountKey,
                           account_id: str, month: str, start: datetime, end: datetime
                           ) -> Figures:
    policy = year_policy(key)
    month_start, month_end = period_bounds(month)
    terms = await uow.head_counts.terms(key.program_code, key.division_code)
    in_month = [p for p in periods_of(policy.frequency, key.fiscal_year)
                if month_start <= period_start(p) <= month_end]
    to_date = [p for p in periods_of(policy.frequency, key.fiscal_year)
               if period_start(p) <= month_end]
    figures = Figures()
    for span, periods in (("month", in_month), ("year_to_date", to_date)):
        by_shares: dict[Shares, int] = {}
        for period in periods:
            shares = shares_in(key, period, policy)
            by_shares[shares] = by_shares.get(shares, 0) + period_cost(
                key, counts_in(terms, period), period)
        for shares, cost in by_shares.items():
            for level, part in split(cost, shares).items():
                figures.values[span][level]["forecast_fen"] += part
    by_run = spent_by_run(await uow.allocations.of_account(account_id),
                          await uow.settlements.by_period(account_id),
                          periods_of(policy.frequency, key.fiscal_year))
    for span, periods in (("month", in_month), ("year_to_date", to_date)):
        spent = spent_levels(by_run, lambda period: shares_in(key, period, policy),
                             set(periods))
        for level, part in spent.items():
            figures.values[span][level]["spent_fen"] += part
    booked = await views.appropriated(account_id, start, end)
    for level in FISCAL_LEVELS:
        got = booked.get(level, {"month": 0, "to_date": 0})
        figures.values["month"][level]["appropriated_fen"] = got["month"]
        figures.values["year_to_date"][level]["appropriated_fen"] = got["to_date"]
        for span in SPANS:
            row = figures.values[span][level]
            row["outstanding_fen"] = max(row["forecast_fen"] - row["appropriated_fen"], 0)
    return figures
