"""Money figures a test computes on its own from the policy catalogue, to hold a service's
answer against: what a period is owed, and how an amount splits between the fiscal levels
(each level's share rounded down, the county taking what is left)."""

from __future__ import annotations

from collections.abc import Iterable

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue

LEVELS = ("central", "provincial", "municipal", "county")


def owed(program: str, category: str, period: str, division: str) -> int:
    return load_catalogue().amount_for(program, category, period, division)


def shares(program: str, period: str, division: str) -> tuple[int, ...]:
    s = load_catalogue().in_force(program, period_start(period), division).fiscal_shares
    return (s.central, s.provincial, s.municipal, s.county)


def split(fen: int, bp: tuple[int, ...]) -> dict[str, int]:
    """Each level's share rounded down, the county taking what is left."""
    parts = {level: fen * b // 10_000 for level, b in zip(LEVELS, bp, strict=True)}
    parts["county"] = fen - parts["central"] - parts["provincial"] - parts["municipal"]
    return parts


def per_level(program: str, category: str, periods: Iterable[str], division: str
              ) -> dict[str, int]:
    """One payment per run and period, each split by its period's shares."""
    total = dict.fromkeys(LEVELS, 0)
    for period in periods:
        for level, fen in split(owed(program, category, period, division),
                                shares(program, period, division)).items():
            total[level] += fen
    return total
