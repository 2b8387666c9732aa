"""What a run owes one payee of each category: for the run's period and for each arrear
period (a period the person was certified for but not yet paid).

Rules:
- `AmountFromPolicy`: the amount of a period is the one of the policy version in force on
  the period's first day for the run's division (a county's own version wins), for the
  certification's category; never a number from a message.
- `ArrearsWindow`: arrears reach back over periods of the run's kind from the first
  regular run of the program in the division (before it, another system paid) or from the
  earliest day a migrated roster is owed when that is earlier (the periods its old system
  paid count as paid, `roster_import`), at most `max_periods` of them; a one-off has no
  arrears. An arrear period whose version is paid at another frequency, or has no cash
  amount, owes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from siquan.contracts.periods import period_bounds, period_matches, period_start, periods_between
from siquan.contracts.policy import PolicyCatalogue
from siquan.disbursement.domain.errors import InvalidRequest


@dataclass(frozen=True)
class PeriodAmounts:
    period: str
    policy_version: str
    by_category: Mapping[str, int]

    @property
    def bounds(self) -> tuple[date, date]:
        return period_bounds(self.period)

    def amount(self, category: str) -> int | None:
        return self.by_category.get(category)


@dataclass(frozen=True)
class AmountTable:
    """The run's period and its arrear periods (oldest first), each with its amounts."""

    run: PeriodAmounts
    arrears: tuple[PeriodAmounts, ...] = ()

    @property
    def periods(self) -> tuple[str, ...]:
        return (*(a.period for a in self.arrears), self.run.period)


def period_amounts(catalogue: PolicyCatalogue, program_code: str, period: str,
                   division: str) -> PeriodAmounts:
    """Amounts per category for one period; KeyError or ValueError when the policy has
    none for it (no version in force, another frequency, a non-cash program)."""
    policy = catalogue.in_force(program_code, period_start(period), division)
    by_category = {b.category: catalogue.amount_for(program_code, b.category, period, division)
                   for b in policy.benefits}
    if not all(by_category.values()):
        raise ValueError(f"{program_code}/{policy.version} pays no cash")
    return PeriodAmounts(period, policy.version, by_category)


def amount_table(catalogue: PolicyCatalogue, program_code: str, period: str, division: str,
                 arrear_periods: Iterable[str] = ()) -> AmountTable:
    """The table for a run; refuses a run period the policy has no amounts for."""
    try:
        run = period_amounts(catalogue, program_code, period, division)
    except (KeyError, ValueError) as exc:
        raise InvalidRequest(str(exc.args[0])) from exc
    arrears = []
    for earlier in arrear_periods:
        try:
            arrears.append(period_amounts(catalogue, program_code, earlier, division))
        except (KeyError, ValueError):
            continue
    return AmountTable(run, tuple(arrears))


def arrears_window(period: str, first_run_period: str | None, max_periods: int) -> list[str]:
    """Periods before `period` arrears may be paid for (oldest first)."""
    if first_run_period is None or max_periods <= 0 or period_matches("one_off", period):
        return []
    if period_start(first_run_period) >= period_start(period):
        return []
    return periods_between(first_run_period, period, max_periods)
