"""Receivables in the ledger: split by the shares the spending was split by, recovered in
proportion to what each level still holds, never below zero, and the books stay balanced."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siquan.fund_custody.domain.errors import FundRuleBroken, InsufficientFunds
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS, Books
from siquan.fund_custody.domain.receivable import Receivable, allocate, shares_of_runs
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount

SHARES = (5_000, 2_000, 2_000, 1_000)


def _account() -> SpecialAccount:
    account = SpecialAccount("a", AccountKey("special_assistance", 2026, "420117"), Books())
    account.appropriate("ap", "central", 100_000)
    return account


def test_a_receivable_is_split_per_run_by_the_shares_of_its_period() -> None:
    parts = shares_of_runs([(63_001, SHARES), (21_000, (10_000, 0, 0, 0))])
    assert parts == {"central": 31_500 + 21_000, "provincial": 12_600, "municipal": 12_600,
                     "county": 6_301}
    assert sum(parts.values()) == 84_001


def test_recognise_repay_and_write_off_move_the_level_accounts() -> None:
    account = _account()
    parts = shares_of_runs([(63_000, SHARES)])
    account.recognise_receivable("r", parts)
    assert account.books.receivable_fen() == parts
    receivable = Receivable("r", "a", dict(parts))
    repaid = receivable.recover("repayment", 20_000)
    assert repaid == {"central": 10_000, "provincial": 4_000, "municipal": 4_000,
                      "county": 2_000}
    account.take_repayment("x", repaid)
    assert account.books.available_fen == 120_000
    written = receivable.recover("write_off", receivable.outstanding_fen)
    account.write_off("w", written)
    assert account.books.receivable_fen() == dict.fromkeys(FISCAL_LEVELS, 0)
    assert account.books.is_balanced()
    with pytest.raises(FundRuleBroken):
        receivable.recover("repayment", 1)


def test_a_repayment_beyond_a_level_receivable_is_refused_by_the_books() -> None:
    account = _account()
    account.recognise_receivable("r", {"central": 100, "provincial": 0, "municipal": 0,
                                       "county": 0})
    with pytest.raises(InsufficientFunds):
        account.take_repayment("x", {"central": 101})


@given(st.lists(st.integers(0, 50_000), min_size=4, max_size=4).filter(lambda v: sum(v) > 0),
       st.data())
def test_allocation_adds_up_and_never_exceeds_a_level(owed: list[int], data: st.DataObject
                                                      ) -> None:
    outstanding = dict(zip(FISCAL_LEVELS, owed, strict=True))
    amount = data.draw(st.integers(1, sum(owed)))
    parts = allocate(amount, outstanding)
    assert sum(parts.values()) == amount
    assert all(0 <= parts[level] <= outstanding[level] for level in FISCAL_LEVELS)
    assert allocate(sum(owed), outstanding) == outstanding


def test_the_year_end_statement_balances_with_the_repayments() -> None:
    from siquan.fund_custody.domain.statement import RunRecords, YearEndStatement

    account = _account()
    account.recognise_receivable("r", {"central": 30_000})
    account.take_repayment("x", {"central": 12_345})
    account.write_off("w", {"central": 17_655})
    statement = YearEndStatement.of(account, RunRecords(0, 0, 0, 0, 0))
    assert (statement.recovered_fen, statement.closing_fen) == (12_345, 112_345)
