"""The fund forecast (资金预报): what a special account will need for a fiscal year.

Certified head count per category × the amount owed per person for each payment period of
the year (the contracts' period calendar: twelve months, one year, two semesters or a
one-off, by the program's frequency), split between the fiscal levels by the policy's
shares in basis points. Each level gets its share rounded down; the rounding remainder goes
to the county, so the levels add up to the total exactly. Pure: the policy is handed in as
two functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from siquan.contracts.periods import periods_of
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS, FiscalLevel

WHOLE = 10_000  # basis points
Shares = tuple[int, int, int, int]  # central, provincial, municipal, county, in basis points


def split(total_fen: int, shares: Shares) -> dict[FiscalLevel, int]:
    """Each level's share of an amount; the county takes what rounding leaves over."""
    if sum(shares) != WHOLE or min(shares) < 0:
        raise ValueError(f"fiscal shares {shares} do not add up to {WHOLE} basis points")
    parts = {level: total_fen * bp // WHOLE
             for level, bp in zip(FISCAL_LEVELS, shares, strict=True)}
    parts["county"] = total_fen - sum(v for k, v in parts.items() if k != "county")
    return parts


@dataclass(frozen=True)
class ForecastLine:
    category: str
    head_count: int
    per_person_fen: int  # owed to one person over the year's periods

    @property
    def total_fen(self) -> int:
        return self.head_count * self.per_person_fen


@dataclass(frozen=True)
class Forecast:
    frequency: str
    periods: tuple[str, ...]
    lines: tuple[ForecastLine, ...]
    by_level: Mapping[FiscalLevel, int]

    @property
    def head_count(self) -> int:
        return sum(line.head_count for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.total_fen for line in self.lines)

    def same_figures(self, other: Forecast | None) -> bool:
        """Whether a recomputation changed nothing worth a new version."""
        return other is not None and (self.periods, self.lines, dict(self.by_level)) == (
            other.periods, other.lines, dict(other.by_level))


def forecast(counts: Mapping[str, int], frequency: str, year: int,
             amount: Callable[[str, str], int], shares: Callable[[str], Shares]) -> Forecast:
    """`counts`: active certifications per category; `amount(category, period)`: fen owed
    per person for a period (0 when none); `shares(period)`: the fiscal shares then."""
    periods = periods_of(frequency, year)
    lines = tuple(ForecastLine(category, count, sum(amount(category, p) for p in periods))
                  for category, count in sorted(counts.items()) if count > 0)
    cost_by_shares: dict[Shares, int] = {}
    for period in periods:
        cost = sum(line.head_count * amount(line.category, period) for line in lines)
        cost_by_shares[shares(period)] = cost_by_shares.get(shares(period), 0) + cost
    by_level = dict.fromkeys(FISCAL_LEVELS, 0)
    for group_shares, cost in cost_by_shares.items():
        for level, part in split(cost, group_shares).items():
            by_level[level] += part
    return Forecast(frequency, periods, lines, by_level)


def outstanding(forecast_fen: Mapping[FiscalLevel, int],
                appropriated_fen: Mapping[FiscalLevel, int]) -> dict[FiscalLevel, int]:
    """Per level, what the forecast still expects beyond what was appropriated (≥ 0)."""
    return {level: max(forecast_fen.get(level, 0) - appropriated_fen.get(level, 0), 0)
            for level in FISCAL_LEVELS}
