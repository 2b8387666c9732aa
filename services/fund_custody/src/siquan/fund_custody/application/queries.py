"""What treasury officers and auditors may read, within the officer's division: a special
account's balances (with, per fiscal level, forecast vs. appropriated vs. outstanding), its
fund forecast, and an allocation's status. Each runs in a read-only unit of work."""

from __future__ import annotations

from typing import Any

from siquan.contracts.periods import periods_of
from siquan.fund_custody.application.figures import (
    as_dict,
    compute,
    per_period,
    period_cost,
    shares_in,
    spent_by_run,
    spent_levels,
    year_policy,
)
from siquan.fund_custody.application.ports import FundCustodyUnit
from siquan.fund_custody.domain.forecast import counts_in, outstanding
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer
from siquan.shared.errors import NotFound


async def account_balances(uow: FundCustodyUnit, officer: Officer,
                           key: AccountKey) -> dict[str, Any]:
    officer.check_scope(key.division_code)
    account = await uow.accounts.find(key)
    if account is None:
        raise NotFound(f"no special account {key}")
    certified = await uow.head_counts.active_counts(key.program_code, key.division_code)
    latest = await uow.forecasts.latest(account.id)
    books = account.books
    appropriated = books.appropriated_fen()
    forecast = dict(latest.forecast.by_level) if latest else dict.fromkeys(FISCAL_LEVELS, 0)
    owed = outstanding(forecast, appropriated)
    return {"program_code": key.program_code, "fiscal_year": key.fiscal_year,
            "division_code": key.division_code, "closed": account.closed,
            "opening_fen": books.brought_forward_fen, "available_fen": books.available_fen,
            "reserved_fen": books.reserved_fen, "paid_out_fen": books.paid_out_fen,
            "returned_fen": books.returned_fen,
            "net_paid_out_fen": books.paid_out_fen - books.returned_fen,
            "carried_forward_fen": books.carried_forward_fen,
            "receivable_fen": books.receivable_fen(),
            "appropriated_fen": appropriated,
            "appropriated_total_fen": sum(appropriated.values()),
            "forecast_version": latest.version if latest else None,
            "forecast_total_fen": sum(forecast.values()),
            "levels": {level: {"forecast_fen": forecast[level],
                               "appropriated_fen": appropriated[level],
                               "outstanding_fen": owed[level]} for level in FISCAL_LEVELS},
            "active_certifications": certified}


async def balances_report(uow: FundCustodyUnit, officer: Officer,
                          key: AccountKey) -> dict[str, Any]:
    """Per fiscal level of a program's year in a division: the forecast (each certification
    counted in the periods it was payable in, as computed now from the roster), what was
    appropriated, what was spent (net of returns, each run's amount split by the shares of
    its period), what is outstanding (forecast − appropriated, never negative) and what is
    available (appropriated − spent). Per period: the certifications in force in it and
    that period's forecast and spending. Every waiting run with its shortfall."""
    officer.check_scope(key.division_code)
    account = await uow.accounts.find(key)
    if account is None:
        raise NotFound(f"no special account {key}")
    policy = year_policy(key)
    terms = await uow.head_counts.terms(key.program_code, key.division_code)
    figures = compute(key, terms)
    allocations = await uow.allocations.of_account(account.id)
    appropriated = account.books.appropriated_fen()
    by_run = spent_by_run(allocations, await uow.settlements.by_period(account.id),
                          periods_of(figures.frequency, key.fiscal_year))
    spent_in = per_period(by_run)
    spent = dict.fromkeys(FISCAL_LEVELS, 0) | spent_levels(
        by_run, lambda period: shares_in(key, period, policy))
    owed = outstanding(figures.by_level, appropriated)
    owed_back = await receivable_levels(uow, key)
    credited = await uow.receivables.credited_levels(account.id)
    periods = []
    for period in periods_of(figures.frequency, key.fiscal_year):
        certified = counts_in(terms, period)
        periods.append({
            "period": period, "certified": certified,
            "certified_count": sum(certified.values()),
            "forecast_fen": period_cost(key, certified, period),
            "spent_fen": spent_in.get(period, 0)})
    waiting = [{"run_id": a.run_id, "period": a.period, "requested_fen": a.total_fen,
                "shortfall_fen": account.shortfall(a.total_fen)}
               for a in allocations if a.status == "waiting"]
    levels = [{"fiscal_level": level, "forecast_fen": figures.by_level[level],
               "appropriated_fen": appropriated[level], "spent_fen": spent[level],
               "outstanding_fen": owed[level],
               "available_fen": (appropriated[level] - spent[level] + credited[level]),
               **owed_back[level]} for level in FISCAL_LEVELS]
    return {"program_code": key.program_code, "fiscal_year": key.fiscal_year,
            "division_code": key.division_code, "frequency": figures.frequency,
            "levels": levels,
            "totals": {name: sum(int(row[name]) for row in levels)
                       for name in ("forecast_fen", "appropriated_fen", "spent_fen",
                                    "outstanding_fen", "available_fen", *RECEIVABLE_FIGURES)},
            "certified_in_year": figures.head_count, "periods": periods,
            "waiting_runs": waiting}


RECEIVABLE_FIGURES = ("receivable_fen", "recovered_fen", "written_off_fen",
                      "receivable_outstanding_fen")


async def receivable_levels(uow: FundCustodyUnit, key: AccountKey
                            ) -> dict[str, dict[str, int]]:
    """Per fiscal level, the receivables of the account's year: recognised, recovered
    (repaid or offset), written off and still outstanding."""
    sums = {level: dict.fromkeys(RECEIVABLE_FIGURES, 0) for level in FISCAL_LEVELS}
    for receivable in await uow.receivables.listed(
            division_prefix=key.division_code, program_code=key.program_code,
            fiscal_year=key.fiscal_year):
        if receivable["division_code"] != key.division_code:
            continue
        for row in receivable["levels"]:
            level = sums[row["fiscal_level"]]
            level["receivable_fen"] += row["receivable_fen"]
            level["recovered_fen"] += row["recovered_fen"]
            level["written_off_fen"] += row["written_off_fen"]
            level["receivable_outstanding_fen"] += row["outstanding_fen"]
    return sums


async def forecast_of(uow: FundCustodyUnit, officer: Officer, key: AccountKey,
                      version: int | None = None) -> dict[str, Any]:
    """The latest forecast (or a given version) of a special account's year."""
    officer.check_scope(key.division_code)
    account = await uow.accounts.find(key)
    stored = None if account is None else await uow.forecasts.latest(account.id,
                                                                     version=version)
    if stored is None:
        which = f"version {version} of the" if version else "a"
        raise NotFound(f"no {which} forecast for {key}")
    return as_dict(key, stored)


async def allocation_status(uow: FundCustodyUnit, officer: Officer,
                            run_id: str) -> dict[str, Any]:
    allocation = await uow.allocations.get(run_id)
    if allocation is None:
        raise NotFound(f"no allocation for run {run_id}")
    officer.check_scope(allocation.key.division_code)
    totals = await uow.settlements.totals(run_id)
    account = await uow.accounts.find(allocation.key)
    shortfall = (account.shortfall(allocation.total_fen)
                 if account is not None and allocation.status == "waiting" else 0)
    return {"allocation_id": allocation.id, "run_id": run_id, "status": allocation.status,
            "program_code": allocation.key.program_code,
            "fiscal_year": allocation.key.fiscal_year,
            "division_code": allocation.key.division_code, "period": allocation.period,
            "payee_count": allocation.payee_count, "total_fen": allocation.total_fen,
            "reserved_fen": allocation.reserved_fen, "paid_fen": allocation.paid_fen,
            "returned_fen": allocation.returned_fen,
            "net_paid_fen": allocation.net_paid_fen,
            "released_fen": allocation.released_fen, "shortfall_fen": shortfall,
            **totals.as_dict(),
            "requested_at": allocation.requested_at, "approved_at": allocation.approved_at,
            "settled_at": allocation.settled_at}
