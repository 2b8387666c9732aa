"""Why fund custody refuses to move money. Every one of these is both a `Refused` (an HTTP
command answered 409, nothing changed) and a `RuleBroken` (an event dead-lettered with the
reason, nothing written): the rule is the same whoever asks, so it is translated here, once.
"""

from __future__ import annotations

from siquan.shared.errors import Refused, RuleBroken


class FundRuleBroken(RuleBroken, Refused):
    """Moving this money would break a rule of the books or of an allocation."""

    status = 409


class UnbalancedTransaction(FundRuleBroken):
    """A ledger transaction whose entries do not sum to zero, or has fewer than two."""


class InsufficientFunds(FundRuleBroken):
    """An account that may not go negative would: carries how much is missing."""

    def __init__(self, account: str, balance_fen: int, wanted_fen: int) -> None:
        self.account, self.balance_fen, self.wanted_fen = account, balance_fen, wanted_fen
        self.shortfall_fen = wanted_fen - balance_fen
        super().__init__(f"{account} holds {balance_fen} fen, {wanted_fen} fen wanted "
                         f"(short by {self.shortfall_fen} fen)")


class AccountClosed(FundRuleBroken):
    """The special account's fiscal year is closed by its year-end statement: no money
    moves in or out of it any more (its balance went on to the next year)."""


class StatementDoesNotBalance(FundRuleBroken):
    """A year-end statement's figures disagree with the ledger: it is not produced."""
