"""A forecast's figures from the policy catalogue, and how a stored forecast is shown (the
event and the API answer): pure, no storage."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date

from siquan.contracts import fund_custody_v1 as contract
from siquan.contracts.periods import period_start
from siquan.contracts.policy import PolicyVersion, load_catalogue
from siquan.fund_custody.application.ports import StoredForecast
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.forecast import CertifiedTerm, Forecast, Shares, forecast, split
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.errors import Refused


def compute(key: AccountKey, counts: Mapping[str, int] | Iterable[CertifiedTerm]) -> Forecast:
    """Head count in each period (each certification in the periods it was payable in) x
    the standard of that period (0 where no version or category applies), split by the
    shares in force in that period."""
    policy = year_policy(key)
    return forecast(counts, policy.frequency, key.fiscal_year, lambda c, p: amount(key, c, p),
                    lambda period: shares_in(key, period, policy))


def amount(key: AccountKey, category: str, period: str) -> int:
    """Fen owed to one person of a category for a period (0 where nothing applies)."""
    try:
        return load_catalogue().amount_for(key.program_code, category, period,
                                           key.division_code)
    except (KeyError, ValueError):
        return 0


def period_cost(key: AccountKey, counts: Mapping[str, int], period: str) -> int:
    """What the certifications in force in one period are owed for it."""
    return sum(n * amount(key, category, period) for category, n in counts.items())


def spent_by_run(allocations: Iterable[Allocation],
                 recorded: Mapping[str, Mapping[str, int]],
                 year_periods: Collection[str]) -> dict[str, dict[str, int]]:
    """Per run, net paid (settled − returned) per period: what a run paid for an earlier
    period of the account's year (an arrear, a top-up after a raise) counts in that
    period; the rest of the run — its own period, a period of another year it paid from
    this account, and whatever it paid before the amounts per period were kept — in the
    run's period."""
    spent: dict[str, dict[str, int]] = {}
    for allocation in allocations:
        own = {period: fen for period, fen in recorded.get(allocation.run_id, {}).items()
               if period in year_periods and period != allocation.period and fen}
        rest = allocation.net_paid_fen - sum(own.values())
        parts = own | ({allocation.period: rest} if rest else {})
        if parts:
            spent[allocation.run_id] = parts
    return spent


def per_period(by_run: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """What all runs spent per period."""
    totals: dict[str, int] = {}
    for parts in by_run.values():
        for period, fen in parts.items():
            totals[period] = totals.get(period, 0) + fen
    return totals


def spent_levels(by_run: Mapping[str, Mapping[str, int]],
                 shares_of: Callable[[str], Shares],
                 within: Collection[str] | None = None) -> dict[str, int]:
    """Per fiscal level, what the runs spent for the periods `within` (all: None): each
    run's periods grouped by their shares and each group split once, so a run whose
    periods share the same shares is split as one amount."""
    levels: dict[str, int] = {}
    for parts in by_run.values():
        grouped: dict[Shares, int] = {}
        for period, fen in parts.items():
            if within is None or period in within:
                grouped[shares_of(period)] = grouped.get(shares_of(period), 0) + fen
        for shares, fen in grouped.items():
            for level, part in split(fen, shares).items():
                levels[level] = levels.get(level, 0) + part
    return levels


def shares_in(key: AccountKey, period: str, policy: PolicyVersion | None = None) -> Shares:
    """The fiscal shares in force in a period (the year's policy where none is)."""
    try:
        version = load_catalogue().in_force(key.program_code, period_start(period),
                                            key.division_code)
    except KeyError:
        version = policy or year_policy(key)
    s = version.fiscal_shares
    return (s.central, s.provincial, s.municipal, s.county)


def year_policy(key: AccountKey) -> PolicyVersion:
    """The version that sets the year's payment frequency: the one in force on 1 January
    for the division, else the first to come into force during the year; refused (409)
    when no version covers the year."""
    catalogue = load_catalogue()
    try:
        return catalogue.in_force(key.program_code, date(key.fiscal_year, 1, 1),
                                  key.division_code)
    except KeyError:
        later = [v for v in catalogue.versions if v.program_code == key.program_code
                 and v.applies_to(key.division_code)
                 and v.effective_from.year == key.fiscal_year]
        if not later:
            raise Refused(f"no version of {key.program_code} is in force in "
                          f"{key.fiscal_year} for {key.division_code}") from None
        return min(later, key=lambda v: (v.effective_from, -v.specificity()))


def published(key: AccountKey, stored: StoredForecast) -> contract.ForecastPublished:
    f = stored.forecast
    return contract.ForecastPublished(
        program_code=key.program_code, fiscal_year=key.fiscal_year,
        division_code=key.division_code, version=stored.version, frequency=f.frequency,
        periods=f.periods, head_count=f.head_count,
        lines=tuple(contract.ForecastLine(category=line.category, head_count=line.head_count,
                                          per_person_fen=line.per_person_fen,
                                          total_fen=line.total_fen) for line in f.lines),
        total_fen=f.total_fen, by_level=contract.LevelAmounts.model_validate(dict(f.by_level)),
        cause=stored.cause, computed_at=stored.computed_at)


def as_dict(key: AccountKey, stored: StoredForecast) -> dict[str, object]:
    return published(key, stored).model_dump(mode="json") | {
        "computed_by": stored.computed_by}
