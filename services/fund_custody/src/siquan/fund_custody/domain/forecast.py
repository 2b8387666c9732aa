"""The fund forecast (资金预报): what a special account will need for a fiscal year.

Certified head count per category × the amount owed per person for each payment period of
the year (the contracts' period calendar: twelve months, one year, two semesters or a
one-off, by the program's frequency), split between the fiscal levels by the policy's
shares in basis points. Each level gets its share rounded down; the rounding remainder goes
to the county, so the levels add up to the total exactly. Pure: the policy is handed in as
two functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from siquan.contracts.periods import period_bounds, periods_of
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
class CertifiedTerm:
    """When one certification was in force: from its grant's effective date (None: since
    before anything was recorded) until the first day nothing was owed any more (None:
    still in force, unless `active` is False for a revocation recorded without a date)."""

    category: str | None
    certified_from: date | None
    certified_until: date | None
    active: bool = True
    # the certification a span of it belongs to (a transfer or a change of category cuts a
    # certification's term into spans, each with its county and category)
    certification: str | None = None

    def payable_in(self, period: str) -> bool:
        """In force on at least one day of the period (the rule disbursement pays by)."""
        if self.category is None:
            return False
        start, end = period_bounds(period)
        if self.certified_from is not None and self.certified_from > end:
            return False
        if self.certified_until is None:
            return self.active
        return self.certified_until > start


def counts_in(terms: Iterable[CertifiedTerm], period: str) -> dict[str, int]:
    """Certifications in force in a period, per category."""
    counts: dict[str, int] = {}
    for term in terms:
        if term.category is not None and term.payable_in(period):
            counts[term.category] = counts.get(term.category, 0) + 1
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class ForecastLine:
    category: str
    head_count: int  # certifications payable in at least one period of the year
    per_person_fen: int  # owed to one person over all the year's periods
    total_fen: int  # owed over the periods each certification was payable in


@dataclass(frozen=True)
class Forecast:
    frequency: str
    periods: tuple[str, ...]
    lines: tuple[ForecastLine, ...]
    by_level: Mapping[FiscalLevel, int]
    # certifications payable in the year: fewer than the lines' sum when one changed
    # category during the year (it has a line in each); None: the lines' sum
    certified: int | None = None

    @property
    def head_count(self) -> int:
        if self.certified is not None:
            return self.certified
        return sum(line.head_count for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.total_fen for line in self.lines)

    def same_figures(self, other: Forecast | None) -> bool:
        """Whether a recomputation changed nothing worth a new version."""
        return other is not None and (self.periods, self.lines, dict(self.by_level)) == (
            other.periods, other.lines, dict(other.by_level))


def forecast(counts: Mapping[str, int] | Iterable[CertifiedTerm], frequency: str, year: int,
             amount: Callable[[str, str], int], shares: Callable[[str], Shares]) -> Forecast:
    """`counts`: certifications per category payable in every period, or each
    certification's term, or each span of it (then each counts only in the periods it was
    payable in, at the category in force then);
    `amount(category, period)`: fen owed per person for a period (0 when none);
    `shares(period)`: the fiscal shares then."""
    periods = periods_of(frequency, year)
    certified: int | None = None
    if isinstance(counts, Mapping):
        fixed = {c: n for c, n in counts.items() if n > 0}
        in_period = {p: fixed for p in periods}
        heads = fixed
    else:
        terms = [t for t in counts if any(t.payable_in(p) for p in periods)]
        in_period = {p: counts_in(terms, p) for p in periods}
        heads = counts_in_year(terms, periods)
        certified = len({t.certification or id(t) for t in terms if t.category is not None})
    lines = tuple(
        ForecastLine(category, count, sum(amount(category, p) for p in periods),
                     sum(in_period[p].get(category, 0) * amount(category, p)
                         for p in periods))
        for category, count in sorted(heads.items()) if count > 0)
    cost_by_shares: dict[Shares, int] = {}
    for period in periods:
        cost = sum(n * amount(category, period) for category, n in in_period[period].items())
        cost_by_shares[shares(period)] = cost_by_shares.get(shares(period), 0) + cost
    by_level = dict.fromkeys(FISCAL_LEVELS, 0)
    for group_shares, cost in cost_by_shares.items():
        for level, part in split(cost, group_shares).items():
            by_level[level] += part
    return Forecast(frequency, periods, lines, by_level, certified)


def counts_in_year(terms: Iterable[CertifiedTerm],
                   periods: Iterable[str]) -> dict[str, int]:
    """Certifications payable in at least one of the periods, per category (one whose
    spans have the same category counts once in it)."""
    wanted = tuple(periods)
    seen: dict[str, set[object]] = {}
    for term in terms:
        if term.category is not None and any(term.payable_in(p) for p in wanted):
            seen.setdefault(term.category, set()).add(term.certification or id(term))
    return {category: len(ids) for category, ids in sorted(seen.items())}


def outstanding(forecast_fen: Mapping[FiscalLevel, int],
                appropriated_fen: Mapping[FiscalLevel, int]) -> dict[FiscalLevel, int]:
    """Per level, what the forecast still expects beyond what was appropriated (≥ 0)."""
    return {level: max(forecast_fen.get(level, 0) - appropriated_fen.get(level, 0), 0)
            for level in FISCAL_LEVELS}
