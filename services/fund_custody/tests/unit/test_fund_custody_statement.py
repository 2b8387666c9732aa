"""The year-end statement balances to the fen against the ledger and the run records, or
it is not produced."""

from __future__ import annotations

import pytest

from siquan.fund_custody.domain.errors import StatementDoesNotBalance
from siquan.fund_custody.domain.ledger import Books
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.fund_custody.domain.statement import RunRecords, YearEndStatement

KEY = AccountKey("special_assistance", 2026, "420117")


def settled_year() -> SpecialAccount:
    account = SpecialAccount("sa-1", KEY, Books())
    account.bring_forward("st-2025", 3_000)
    account.appropriate("a1", "central", 50_000)
    account.appropriate("a2", "county", 15_000)
    account.reserve("run-1", 60_000)
    account.pay("run-1", 0, 42_000)
    account.release("run-1")
    account.take_return("run-1", 0, 2_100)
    return account


RECORDS = RunRecords(runs_settled=1, reserved_fen=60_000, settled_chunks_fen=42_000,
                     released_fen=18_000, returns_booked_fen=2_100)


def test_the_statement_shows_opening_appropriations_payments_returns_and_closing() -> None:
    statement = YearEndStatement.of(settled_year(), RECORDS)
    assert (statement.opening_fen, statement.appropriated_total_fen, statement.paid_fen,
            statement.returned_fen, statement.closing_fen) == (3_000, 65_000, 42_000, 2_100,
                                                               28_100)
    assert statement.closing_fen == (statement.opening_fen + statement.appropriated_total_fen
                                     - statement.paid_fen + statement.returned_fen)
    assert dict(statement.appropriated) == {"central": 50_000, "provincial": 0,
                                            "municipal": 0, "county": 15_000}


def test_a_statement_whose_payments_disagree_with_the_settled_chunks_is_refused() -> None:
    records = RunRecords(1, 60_000, 41_999, 18_001, 2_100)
    with pytest.raises(StatementDoesNotBalance, match="41999"):
        YearEndStatement.of(settled_year(), records)


def test_a_statement_while_money_is_reserved_is_refused() -> None:
    account = settled_year()
    account.reserve("run-2", 1_000)
    with pytest.raises(StatementDoesNotBalance, match="reserved"):
        YearEndStatement.of(account, RECORDS)
