"""A receivable (追回) in a special account: money paid out for periods nothing was owed for,
split between the fiscal levels as the payments' spending was (each run's overpaid amount by
the shares of the run's period), and what repaid, offset or wrote it off.

A recovery is shared between the levels in proportion to what each still holds (rounded
down, the fen left over to the levels with room, county first), so a recovery of all that
is outstanding clears every level exactly. Pure: no storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.forecast import Shares, split
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS, FiscalLevel

Parts = dict[FiscalLevel, int]


def shares_of_runs(runs: Iterable[tuple[int, Shares]]) -> Parts:
    """Each level's share of the overpaid amounts of several runs: (fen, shares of the
    run's period) each."""
    parts: Parts = dict.fromkeys(FISCAL_LEVELS, 0)
    for fen, shares in runs:
        for level, part in split(fen, shares).items():
            parts[level] += part
    return parts


def allocate(amount_fen: int, outstanding: Mapping[FiscalLevel, int]) -> Parts:
    """`amount_fen` shared in proportion to each level's outstanding amount; refused above
    what is outstanding."""
    total = sum(outstanding.values())
    if amount_fen <= 0 or amount_fen > total:
        raise FundRuleBroken(f"a recovery of {amount_fen} fen against {total} fen "
                             "outstanding")
    parts: Parts = {level: amount_fen * outstanding.get(level, 0) // total
                    for level in FISCAL_LEVELS}
    left = amount_fen - sum(parts.values())
    for level in reversed(FISCAL_LEVELS):
        room = outstanding.get(level, 0) - parts[level]
        take = min(room, left)
        parts[level] += take
        left -= take
    return parts


@dataclass
class Receivable:
    receivable_id: str
    special_account_id: str
    total: Parts
    recovered: Parts = field(default_factory=lambda: dict.fromkeys(FISCAL_LEVELS, 0))
    written_off: Parts = field(default_factory=lambda: dict.fromkeys(FISCAL_LEVELS, 0))

    @property
    def outstanding(self) -> Parts:
        return {level: self.total[level] - self.recovered[level] - self.written_off[level]
                for level in FISCAL_LEVELS}

    @property
    def total_fen(self) -> int:
        return sum(self.total.values())

    @property
    def outstanding_fen(self) -> int:
        return sum(self.outstanding.values())

    def recover(self, kind: str, amount_fen: int) -> Parts:
        """Each level's part of a repayment, offset or write-off; applied here."""
        parts = allocate(amount_fen, self.outstanding)
        into = self.written_off if kind == "write_off" else self.recovered
        for level, fen in parts.items():
            into[level] += fen
        return parts
